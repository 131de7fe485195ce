using System;
using System.IO;
using System.Linq;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>A fresh temporary directory per test, removed afterwards.</summary>
    public abstract class TempDirFixture
    {
        protected string Dir { get; private set; }

        [SetUp]
        public void MakeTempDir()
        {
            Dir = Path.Combine(Path.GetTempPath(), "quiver-cs-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Dir);
        }

        [TearDown]
        public void RemoveTempDir()
        {
            // Handles a test left undisposed must not keep the directory locked
            // for the next test; the finalizers close them.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            try
            {
                Directory.Delete(Dir, true);
            }
            catch (IOException)
            {
            }
        }

        protected string DbPath(string name = "db") => Path.Combine(Dir, name);

        protected static QuiverDatabase OpenFast(string path) =>
            QuiverDatabase.Open(path, new DatabaseOptions { Sync = SyncMode.Never });
    }

    internal static class TestData
    {
        /// <summary>tests/data/wordnet-sample (QUIVER_TEST_DATA, set by test.sh, or found from the current directory upwards).</summary>
        internal static string WordNetSample
        {
            get
            {
                string env = Environment.GetEnvironmentVariable("QUIVER_TEST_DATA");
                if (!string.IsNullOrEmpty(env))
                {
                    return env;
                }
                for (var d = new DirectoryInfo(Environment.CurrentDirectory); d != null; d = d.Parent)
                {
                    string p = Path.Combine(d.FullName, "tests", "data", "wordnet-sample");
                    if (Directory.Exists(p))
                    {
                        return p;
                    }
                }
                throw new DirectoryNotFoundException("tests/data/wordnet-sample not found; set QUIVER_TEST_DATA");
            }
        }

        /// <summary>The first <paramref name="count"/> little-endian IEEE half floats of a file, widened to float.</summary>
        internal static float[] ReadHalfFloats(string path, int count)
        {
            byte[] raw = File.ReadAllBytes(path);
            Assert.That(raw.Length, Is.GreaterThanOrEqualTo(count * 2), path);
            var result = new float[count];
            for (int i = 0; i < count; i++)
            {
                result[i] = HalfToFloat((ushort)(raw[2 * i] | raw[2 * i + 1] << 8));
            }
            return result;
        }

        internal static float HalfToFloat(ushort h)
        {
            int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
            float v;
            if (exp == 0)
            {
                v = mant * (1f / (1 << 24)); // zero or subnormal
            }
            else if (exp == 31)
            {
                v = mant != 0 ? float.NaN : float.PositiveInfinity;
            }
            else
            {
                v = (float)((mant | 0x400) * Math.Pow(2, exp - 25));
            }
            return sign != 0 ? -v : v;
        }

        internal static uint[] ReadU32(string path)
        {
            byte[] raw = File.ReadAllBytes(path);
            var result = new uint[raw.Length / 4];
            Buffer.BlockCopy(raw, 0, result, 0, result.Length * 4);
            return result;
        }

        internal static string[] ReadLines(string path, int count) => File.ReadLines(path).Take(count).ToArray();

        internal static ulong[] Ids(int from, int count) =>
            Enumerable.Range(from, count).Select(i => (ulong)i).ToArray();

        /// <summary>Deterministic pseudo-random vectors (not for recall checks).</summary>
        internal static float[] RandomVectors(int n, int dim, int seed)
        {
            var rnd = new Random(seed);
            var v = new float[n * dim];
            for (int i = 0; i < v.Length; i++)
            {
                v[i] = (float)(rnd.NextDouble() * 2 - 1);
            }
            return v;
        }

        /// <summary>The resident set size of this process, from /proc/self/statm.</summary>
        internal static long ResidentBytes()
        {
            string[] fields = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(fields[1]) * Environment.SystemPageSize;
        }


        internal static void FullGc()
        {
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }
    }
}
