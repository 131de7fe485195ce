// Quiver from C#, on real data: inserts 300 WordNet definitions
// (384-dimensional MiniLM sentence embeddings stored as half floats, with
// their JSON lines as payloads) in one batch, searches them by meaning with
// and without a payload filter, and removes the database again.
//
//     bindings/csharp/test.sh builds and runs it; by hand, from the repository root:
//     mcs -langversion:7.2 -r:target/csharp/Quiver.dll -out:target/csharp/QuickStart.exe examples/csharp/Program.cs
//     LD_LIBRARY_PATH=target/release mono target/csharp/QuickStart.exe tests/data/wordnet-sample
using System;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Quiver;

internal static class Program
{
    private const int Dim = 384;
    private const int NPoints = 300;

    private static int Main(string[] args)
    {
        string data = args.Length > 0 ? args[0] : "tests/data/wordnet-sample";
        Console.WriteLine($"quiver {QuiverLibrary.Version} (ABI {QuiverLibrary.AbiVersion})");

        float[] vectors = ReadHalfFloats(Path.Combine(data, "base.f16"), NPoints * Dim);
        float[] query = ReadHalfFloats(Path.Combine(data, "queries.f16"), Dim);
        string[] payloads = File.ReadLines(Path.Combine(data, "base.jsonl")).Take(NPoints).ToArray();
        ulong[] ids = Enumerable.Range(0, NPoints).Select(i => (ulong)i).ToArray();
        string dir = Path.Combine(Path.GetTempPath(), "quiver-quickstart-" + Guid.NewGuid().ToString("N"));

        try
        {
            // A database is a directory; a collection holds points of one dimension.
            using (var db = QuiverDatabase.Open(dir))
            using (var defs = db.CreateCollection("definitions", new CollectionConfig(Dim, Metric.Cosine)))
            {
                defs.Upsert(ids, vectors, payloads); // one batch, durable when it returns
                Console.WriteLine($"inserted {defs.Count()} definitions into {dir}");

                Console.WriteLine("\nnearest definitions to query 0:");
                Print(defs.Search(query, new SearchOptions(5) { WithPayload = true }));

                Console.WriteLine("\nthe same, verbs only ({\"field\": \"pos\", \"eq\": \"verb\"}):");
                var verbs = new SearchOptions(5) { WithPayload = true, Filter = "{\"field\": \"pos\", \"eq\": \"verb\"}" };
                Print(defs.Search(query, verbs));
            }
            return 0;
        }
        catch (QuiverException e)
        {
            Console.Error.WriteLine($"quickstart: {e.Status}: {e.Message}");
            return 1;
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    private static void Print(SearchHit[] hits)
    {
        foreach (var hit in hits)
        {
            var text = Regex.Match(hit.Payload ?? "", "\"text\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
            Console.WriteLine($"  {hit.Score:F3}  #{hit.Id,-4} {(text.Success ? Regex.Unescape(text.Groups[1].Value) : "(no text)")}");
        }
    }

    // The first `count` little-endian IEEE half floats of a file, as floats.
    private static float[] ReadHalfFloats(string path, int count)
    {
        var raw = new byte[count * 2];
        using (var f = File.OpenRead(path))
        {
            if (f.Read(raw, 0, raw.Length) != raw.Length)
            {
                throw new IOException($"{path} holds fewer than {count} half floats");
            }
        }
        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = HalfToFloat((ushort)(raw[2 * i] | raw[2 * i + 1] << 8));
        }
        return result;
    }

    private static float HalfToFloat(ushort h)
    {
        int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
        float v = exp == 0 ? mant * (1f / (1 << 24))                                  // zero or subnormal
                : exp == 31 ? (mant != 0 ? float.NaN : float.PositiveInfinity)
                : (mant | 0x400) * (float)Math.Pow(2, exp - 25);
        return sign != 0 ? -v : v;
    }
}
