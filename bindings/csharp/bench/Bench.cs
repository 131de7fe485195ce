// The cost of the C# binding on batch search, measured against a raw
// P/Invoke of the C ABI on the same collection with the same parameters:
// WordNet (100,000 x 384 MiniLM embeddings, cosine, HNSW m 16,
// ef_construction 200), all 1,000 queries in one batch call, k 10, ef 64;
// REPS (default 50) interleaved repetitions after a warm-up, best of each
// (the machines are shared and noisy: the best of many is what is stable).
// BENCH_VERBOSE=1 prints every time.
//
//     bindings/csharp/bench/run.sh [DATA_DIR] [REPS]
//
// Not part of the tests. The collection is built once into
// target/csharp/bench-db and reused while it holds the 100,000 points.
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using Quiver;

internal static unsafe class Bench
{
    private const int Dim = 384, K = 10, Ef = 64;

    // The raw C ABI, declared here on its own (IntPtr handle, no SafeHandle, no checks),
    // as include/quiver.h has it at this ABI version (qv_search_params is unchanged since
    // ABI 2; ABI 3 grew qv_collection_config, which the bench uses through the binding).
    private const uint MirroredAbiVersion = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct qv_search_params
    {
        public uint struct_size, k, ef, exact, with_payload, reserved;
        public byte* filter_json;
        public ulong filter_len;
        public float oversampling;
        public uint rescore;
    }

    [DllImport("quiver", CallingConvention = CallingConvention.Cdecl)]
    private static extern void qv_search_params_init(qv_search_params* p);

    [DllImport("quiver", CallingConvention = CallingConvention.Cdecl)]
    private static extern int qv_collection_search(IntPtr coll, float* queries, UIntPtr nq, UIntPtr dim,
        qv_search_params* p, ulong* ids, float* scores, UIntPtr outLen, uint* counts, IntPtr err);

    [DllImport("quiver", CallingConvention = CallingConvention.Cdecl)]
    private static extern int qv_collection_search_results(IntPtr coll, float* queries, UIntPtr nq, UIntPtr dim,
        qv_search_params* p, out IntPtr results, IntPtr err);

    [DllImport("quiver", CallingConvention = CallingConvention.Cdecl)]
    private static extern void qv_results_free(IntPtr results);

    private static int Main(string[] args)
    {
        string data = args.Length > 0 ? args[0] : "../shared/data/wordnet";
        int reps = args.Length > 1 ? int.Parse(args[1]) : 50;
        string dbPath = args.Length > 2 ? args[2] : "target/csharp/bench-db";
        if (QuiverLibrary.AbiVersion != MirroredAbiVersion)
        {
            Console.Error.WriteLine($"bench: the loaded libquiver has ABI version {QuiverLibrary.AbiVersion}; Bench.cs mirrors version {MirroredAbiVersion}");
            return 1;
        }

        float[] queries = ReadHalfFloats(Path.Combine(data, "queries.f16"), 1000 * Dim);
        uint[] gt = ReadU32(Path.Combine(data, "gt100.u32"));
        int nq = queries.Length / Dim;

        using (var db = QuiverDatabase.Open(dbPath, new DatabaseOptions { Sync = SyncMode.Never }))
        using (var coll = OpenOrBuild(db, data))
        {
            Console.WriteLine($"quiver {QuiverLibrary.Version}, Mono {Type.GetType("Mono.Runtime") != null}, {Environment.ProcessorCount} cores; " +
                              $"{coll.Count()} points x {Dim}, {nq} queries in one call, k {K}, ef {Ef}, best of {reps}");

            var options = new SearchOptions(K) { Ef = Ef };
            var ids = new ulong[nq * K];
            var scores = new float[nq * K];
            var counts = new int[nq];
            var rawIds = new ulong[nq * K];
            var rawScores = new float[nq * K];
            var rawCounts = new uint[nq];
            qv_search_params p;
            qv_search_params_init(&p);
            p.k = K;
            p.ef = Ef;

            bool added = false;
            coll.Handle.DangerousAddRef(ref added);
            IntPtr raw = coll.Handle.DangerousGetHandle();
            try
            {
                var names = new[] { "binding SearchBatch (owned qv_results)", "binding SearchBatchInto (caller arrays)",
                                    "raw qv_collection_search_results", "raw qv_collection_search" };
                var best = Enumerable.Repeat(double.MaxValue, names.Length).ToArray();
                ulong[] firstIds = null;
                for (int rep = 0; rep <= reps; rep++) // rep 0 warms up
                {
                    for (int m = 0; m < names.Length; m++)
                    {
                        var sw = Stopwatch.StartNew();
                        switch (m)
                        {
                            case 0:
                                using (var r = coll.SearchBatch(queries, options))
                                {
                                    if (r.TotalHits != nq * K) throw new Exception("short results");
                                    if (firstIds == null) { firstIds = new ulong[nq * K]; r.CopyTo(firstIds, null); }
                                }
                                break;
                            case 1:
                                coll.SearchBatchInto(queries, options, ids, scores, counts);
                                break;
                            case 2:
                                fixed (float* q = queries)
                                {
                                    Check(qv_collection_search_results(raw, q, (UIntPtr)nq, (UIntPtr)Dim, &p, out IntPtr res, IntPtr.Zero));
                                    qv_results_free(res);
                                }
                                break;
                            default:
                                fixed (float* q = queries)
                                fixed (ulong* i = rawIds)
                                fixed (float* s = rawScores)
                                fixed (uint* c = rawCounts)
                                {
                                    Check(qv_collection_search(raw, q, (UIntPtr)nq, (UIntPtr)Dim, &p, i, s, (UIntPtr)(nq * K), c, IntPtr.Zero));
                                }
                                break;
                        }
                        double ms = sw.Elapsed.TotalMilliseconds;
                        if (rep > 0) best[m] = Math.Min(best[m], ms);
                        if (Environment.GetEnvironmentVariable("BENCH_VERBOSE") != null) Console.Write($"{m}:{ms:F0} ");
                    }
                }
                if (!ids.SequenceEqual(rawIds) || !firstIds.SequenceEqual(rawIds))
                {
                    Console.WriteLine("note: the forms returned different ids (HNSW search is deterministic here, so this is unexpected)");
                }
                double recall = 0;
                for (int q = 0; q < nq; q++)
                {
                    var truth = gt.Skip(q * 100).Take(K).Select(x => (ulong)x).ToList();
                    recall += rawIds.Skip(q * K).Take(K).Count(truth.Contains) / (double)K;
                }
                Console.WriteLine($"recall@{K} = {recall / nq:F4}");
                for (int m = 0; m < names.Length; m++)
                {
                    Console.WriteLine($"{names[m],-42} best {best[m],8:F2} ms  {nq / best[m] * 1000,9:F0} q/s  ratio to raw qv_collection_search {best[m] / best[3]:F3}");
                }
            }
            finally
            {
                if (added) coll.Handle.DangerousRelease();
            }
        }
        return 0;
    }

    private static void Check(int rc)
    {
        if (rc != 0) throw new Exception("quiver status " + rc);
    }

    private static QuiverCollection OpenOrBuild(QuiverDatabase db, string data)
    {
        const string name = "wordnet";
        const int n = 100000;
        if (db.ListCollections().Contains(name))
        {
            var existing = db.OpenCollection(name);
            if (existing.Count() == n) return existing;
            existing.Dispose();
            db.DropCollection(name);
        }
        float[] vectors = ReadHalfFloats(Path.Combine(data, "base.f16"), n * Dim);
        var coll = db.CreateCollection(name, new CollectionConfig(Dim, Metric.Cosine) { HnswM = 16, HnswEfConstruction = 200 });
        var sw = Stopwatch.StartNew();
        var ids = Enumerable.Range(0, n).Select(i => (ulong)i).ToArray();
        coll.Upsert(ids, vectors); // one call
        coll.Checkpoint();
        Console.WriteLine($"built {n} points in {sw.Elapsed.TotalSeconds:F1} s");
        return coll;
    }

    private static float[] ReadHalfFloats(string path, int count)
    {
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < count * 2) throw new IOException($"{path} holds fewer than {count} half floats");
        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            int h = raw[2 * i] | raw[2 * i + 1] << 8;
            int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
            float v = exp == 0 ? mant * (1f / (1 << 24))
                    : exp == 31 ? (mant != 0 ? float.NaN : float.PositiveInfinity)
                    : (float)((mant | 0x400) * Math.Pow(2, exp - 25));
            result[i] = sign != 0 ? -v : v;
        }
        return result;
    }

    private static uint[] ReadU32(string path)
    {
        byte[] raw = File.ReadAllBytes(path);
        var result = new uint[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, result, 0, result.Length * 4);
        return result;
    }
}
