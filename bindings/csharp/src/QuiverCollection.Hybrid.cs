using System;
using System.Collections.Generic;

namespace Quiver
{
    // Hybrid search (qv_collection_hybrid_search) and multi-query search
    // (qv_collection_multi_query_search).
    public sealed partial class QuiverCollection
    {
        /// <summary>
        /// Hybrid search: runs every branch of <paramref name="p"/> (dense vector searches, BM25
        /// text searches and sparse vector searches, each with its own options, filter and
        /// candidate depth) on one
        /// snapshot of the collection (a write lands before all of them or after all of them),
        /// fuses their rankings with <c>p.Fusion</c> (each branch weighted by its
        /// <see cref="HybridBranch.Weight"/>), and returns the best <c>p.K</c> points, best first
        /// (equal fused scores by ascending id), with payloads when <c>p.WithPayload</c>. Scores
        /// are the fused scores: higher is better, whatever the metric.
        /// </summary>
        /// <remarks>
        /// Everything the call passes (the <c>qv_hybrid_branch</c> array, each branch's
        /// <c>qv_search_params</c>, <c>qv_text_search_params</c> or <c>qv_sparse_search_params</c>,
        /// the <c>qv_text_field</c> arrays, the vectors, sparse indices, query texts, names and
        /// filters) lives in eight managed arrays pinned with <c>fixed</c> for the whole native
        /// call: nothing is allocated natively, nothing can leak.
        /// </remarks>
        /// <exception cref="QuiverException">InvalidArgument (no branch, k 0 or above 100000, a
        /// weight negative or not finite, RrfK not &gt; 0, bad fusion, or any error of
        /// <see cref="Search"/> / <see cref="TextSearch"/> / <see cref="SparseSearch"/> for a branch, the message naming it:
        /// <c>branches[1]: ...</c>), DimensionMismatch (a dense branch's vector, named likewise),
        /// Unsupported (a dense branch on a metadata-only collection), Closed, Io, OutOfMemory.</exception>
        public unsafe SearchHit[] HybridSearch(HybridSearchParams p)
        {
            if (p == null)
            {
                throw new ArgumentNullException(nameof(p));
            }
            HybridBranch[] given = p.Branches.ToArray();
            int n = given.Length;

            // Pass 1: gather what each branch passes into one UTF-8 buffer, one float buffer and
            // the arrays of the native structs; record where each piece lies.
            var bytes = new Arena<byte>();
            var floats = new Arena<float>();
            var uints = new Arena<uint>();
            var plans = new BranchPlan[n];
            int dense = 0, text = 0, sparse = 0, nfields = 0;
            for (int i = 0; i < n; i++)
            {
                HybridBranch b = given[i] ?? throw new ArgumentNullException(nameof(p), "p.Branches[" + i + "] is null");
                var plan = new BranchPlan();
                if (b.Kind == HybridBranchKind.Dense)
                {
                    plan.Index = dense++;
                    plan.Vector = floats.Add(b.Vector);
                    plan.Filter = bytes.Add(b.Options.FilterUtf8);
                }
                else if (b.Kind == HybridBranchKind.Sparse)
                {
                    plan.Index = sparse++;
                    plan.Name = bytes.Add(b.SparseNameUtf8);
                    plan.Filter = bytes.Add(b.SparseOptions.FilterUtf8);
                    plan.SparseIndices = uints.Add(b.SparseQuery.Indices);
                    plan.Vector = floats.Add(b.SparseQuery.Values);
                }
                else
                {
                    TextSearchParams tp = b.TextParams;
                    plan.Index = text++;
                    plan.Query = bytes.Add(b.QueryUtf8);
                    plan.Filter = bytes.Add(tp.FilterUtf8);
                    TextField[] fields = tp.Fields.ToArray();
                    plan.FieldStart = nfields;
                    plan.FieldCount = fields.Length;
                    plan.Names = new Piece[fields.Length];
                    plan.Boosts = new float[fields.Length];
                    for (int j = 0; j < fields.Length; j++)
                    {
                        string name = fields[j].Name ??
                            throw new ArgumentNullException(nameof(p), "p.Branches[" + i + "].TextParams.Fields[" + j + "] has no name");
                        plan.Names[j] = bytes.Add(Utf8.Encode(name, "p.Branches[" + i + "].TextParams.Fields[" + j + "]"));
                        plan.Boosts[j] = fields[j].Boost;
                    }
                    nfields += fields.Length;
                }
                plans[i] = plan;
            }
            byte[] byteData = bytes.ToArray();
            float[] floatData = floats.ToArray();
            uint[] uintData = uints.ToArray();
            var searches = new NativeMethods.qv_search_params[dense];
            var texts = new NativeMethods.qv_text_search_params[text];
            var sparses = new NativeMethods.qv_sparse_search_params[sparse];
            var fieldStructs = new NativeMethods.qv_text_field[nfields];
            var branches = new NativeMethods.qv_hybrid_branch[n];

            // Pass 2: the native structs, pointing into the pinned buffers and into each other.
            int rc;
            IntPtr err;
            ResultsHandle h;
            fixed (byte* pb = byteData)
            fixed (float* pv = floatData)
            fixed (uint* pu = uintData)
            fixed (NativeMethods.qv_search_params* ps = searches)
            fixed (NativeMethods.qv_sparse_search_params* psp = sparses)
            fixed (NativeMethods.qv_text_search_params* pt = texts)
            fixed (NativeMethods.qv_text_field* pfs = fieldStructs)
            fixed (NativeMethods.qv_hybrid_branch* pbr = branches)
            {
                for (int i = 0; i < n; i++)
                {
                    HybridBranch b = given[i];
                    BranchPlan plan = plans[i];
                    NativeMethods.qv_hybrid_branch* nb = pbr + i;
                    NativeMethods.qv_hybrid_branch_init(nb);
                    nb->weight = b.Weight;
                    if (b.Kind == HybridBranchKind.Dense)
                    {
                        ps[plan.Index] = b.Options.ToNative(plan.Filter.In(pb), plan.Filter.Length);
                        nb->kind = NativeMethods.BranchDense;
                        nb->vector = plan.Vector.In(pv);
                        nb->dim = (ulong)plan.Vector.Length;
                        nb->search = ps + plan.Index;
                    }
                    else if (b.Kind == HybridBranchKind.Sparse)
                    {
                        psp[plan.Index] = b.SparseOptions.ToNative(plan.Name.In(pb), plan.Name.Length,
                            plan.Filter.In(pb), plan.Filter.Length);
                        nb->kind = NativeMethods.BranchSparse;
                        nb->sparse_indices = plan.SparseIndices.In(pu);
                        nb->sparse_values = plan.Vector.In(pv);
                        nb->sparse_nnz = (ulong)plan.SparseIndices.Length;
                        nb->sparse = psp + plan.Index;
                    }
                    else
                    {
                        NativeMethods.qv_text_field* f = pfs + plan.FieldStart;
                        for (int j = 0; j < plan.FieldCount; j++)
                        {
                            f[j].name = plan.Names[j].In(pb);
                            f[j].name_len = (ulong)plan.Names[j].Length;
                            f[j].boost = plan.Boosts[j];
                        }
                        pt[plan.Index] = b.TextParams.ToNative(plan.FieldCount == 0 ? null : f, plan.FieldCount,
                            plan.Filter.In(pb), plan.Filter.Length);
                        nb->kind = NativeMethods.BranchText;
                        nb->query = plan.Query.In(pb);
                        nb->query_len = (ulong)plan.Query.Length;
                        nb->text = pt + plan.Index;
                    }
                }
                var hp = p.ToNative(n == 0 ? null : pbr, n);
                try
                {
                    rc = NativeMethods.qv_collection_hybrid_search(Live, &hp, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            using (var results = SearchResults.FromNative(rc, h, err))
            {
                return results.GetHits(0);
            }
        }

        /// <summary>
        /// Multi-query search: searches each row of <paramref name="queries"/> (query vectors of
        /// the collection's dimension) with <paramref name="options"/> on one snapshot, each
        /// contributing its best <paramref name="candidates"/> hits (0 = <c>options.K</c>; else at
        /// least <c>options.K</c>), and fuses the lists with <paramref name="fusion"/> into one
        /// ranking of <c>options.K</c> points, best first (equal fused scores by ascending id),
        /// with payloads when <c>options.WithPayload</c>. <see cref="MultiQueryFusion.Average"/>
        /// and <see cref="MultiQueryFusion.Max"/> return scores in the metric's orientation
        /// (distances stay distances, smallest first); <see cref="MultiQueryFusion.Rrf"/> and
        /// <see cref="MultiQueryFusion.Weighted"/> return higher-is-better scores. The rows are
        /// copied into one buffer and passed in one call.
        /// </summary>
        /// <param name="queries">The query vectors, one per row, all of one length.</param>
        /// <param name="options">The search options of every query (null = the defaults): K, Ef,
        /// Exact, Filter, Oversampling, Rescore, WithPayload.</param>
        /// <param name="fusion">How the lists are merged. Default RRF.</param>
        /// <param name="candidates">Hits each query contributes; 0 (the default) = <c>options.K</c>.</param>
        /// <param name="weights">With <see cref="MultiQueryFusion.Weighted"/>: one weight per query,
        /// finite and not negative (the library checks the count). The other fusions do not read it.</param>
        /// <param name="rrfK">RRF's constant, finite and &gt; 0 (<see cref="MultiQueryFusion.Rrf"/> only). Default 60.</param>
        /// <exception cref="QuiverException">InvalidArgument (no query, bad fusion, RrfK not &gt; 0,
        /// candidates below K, weights not one per query or negative, any error of
        /// <see cref="Search"/>), DimensionMismatch (rows of different lengths, or not the
        /// collection's dimension), Unsupported (metadata-only collection), Closed, OutOfMemory.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="candidates"/> is negative.</exception>
        public SearchHit[] MultiQuerySearch(float[][] queries, SearchOptions options = null,
            MultiQueryFusion fusion = MultiQueryFusion.Rrf, int candidates = 0, float[] weights = null, float rrfK = 60f)
        {
            if (queries == null)
            {
                throw new ArgumentNullException(nameof(queries));
            }
            int dim = queries.Length > 0 && queries[0] != null ? queries[0].Length : 0;
            float[] flat = Flatten(queries, queries.Length, "queries", "query", dim);
            return MultiQueryCore(flat, queries.Length, dim, options ?? new SearchOptions(), fusion, candidates, weights, rrfK);
        }

        /// <summary>
        /// <see cref="MultiQuerySearch(float[][], SearchOptions, MultiQueryFusion, int, float[], float)"/>
        /// with the query vectors row-major in <paramref name="queries"/>, Dimension floats each
        /// (a length that is not a multiple of Dimension: DimensionMismatch), without a copy.
        /// </summary>
        public SearchHit[] MultiQuerySearch(float[] queries, SearchOptions options = null,
            MultiQueryFusion fusion = MultiQueryFusion.Rrf, int candidates = 0, float[] weights = null, float rrfK = 60f)
        {
            int nq = QueryCount(queries, out int dim);
            return MultiQueryCore(queries, nq, dim, options ?? new SearchOptions(), fusion, candidates, weights, rrfK);
        }

        private unsafe SearchHit[] MultiQueryCore(float[] queries, int nq, int dim, SearchOptions options,
            MultiQueryFusion fusion, int candidates, float[] weights, float rrfK)
        {
            if (candidates < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(candidates), candidates, "candidates must not be negative");
            }
            byte[] filter = options.FilterUtf8;
            int rc;
            IntPtr err;
            ResultsHandle h;
            fixed (float* pq = queries)
            fixed (byte* pf = filter)
            fixed (float* pw = weights)
            {
                var sp = options.ToNative(pf, filter == null ? 0 : filter.Length);
                NativeMethods.qv_multi_query_params mp;
                NativeMethods.qv_multi_query_params_init(&mp);
                mp.fusion = (uint)fusion;
                mp.rrf_k = rrfK;
                mp.candidates = (uint)candidates;
                mp.weights = pw;
                mp.nweights = weights == null ? 0UL : (ulong)weights.Length;
                try
                {
                    rc = NativeMethods.qv_collection_multi_query_search(Live, pq, (UIntPtr)(uint)nq, (UIntPtr)(uint)dim,
                        &sp, &mp, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            using (var results = SearchResults.FromNative(rc, h, err))
            {
                return results.GetHits(0);
            }
        }

        // Where one piece of a branch lies in a pinned buffer.
        private struct Piece
        {
            internal int Offset;
            internal int Length;

            // Its address in the buffer pinned at `start`; null when empty (the C ABI takes
            // NULL with length 0; the start of an empty buffer is null anyway).
            internal unsafe byte* In(byte* start) => Length == 0 ? null : start + Offset;

            internal unsafe float* In(float* start) => Length == 0 ? null : start + Offset;

            internal unsafe uint* In(uint* start) => Length == 0 ? null : start + Offset;
        }

        private sealed class BranchPlan
        {
            internal int Index;          // in the qv_search_params, qv_text_search_params or qv_sparse_search_params array
            internal Piece Vector;       // dense: the vector; sparse: the query's values
            internal Piece Query;        // text
            internal Piece Name;         // sparse
            internal Piece SparseIndices; // sparse: the query's indices
            internal Piece Filter;       // all (length 0 = none)
            internal int FieldStart;     // text: its qv_text_field entries
            internal int FieldCount;
            internal Piece[] Names;
            internal float[] Boosts;
        }

        // Arrays appended into one (copied once at the end).
        private sealed class Arena<T>
        {
            private readonly List<T[]> parts = new List<T[]>();
            private int length;

            internal Piece Add(T[] part)
            {
                var piece = new Piece { Offset = length, Length = part == null ? 0 : part.Length };
                if (piece.Length > 0)
                {
                    if (length > int.MaxValue - piece.Length)
                    {
                        throw new ArgumentException("a hybrid search's vectors, texts and filters exceed 2 GiB");
                    }
                    parts.Add(part);
                    length += piece.Length;
                }
                return piece;
            }

            internal T[] ToArray()
            {
                var all = new T[length];
                int at = 0;
                foreach (T[] part in parts)
                {
                    Array.Copy(part, 0, all, at, part.Length);
                    at += part.Length;
                }
                return all;
            }
        }
    }
}
