using System;
using System.Collections.Generic;
using System.Globalization;

namespace Quiver
{
    /// <summary>
    /// How <see cref="QuiverCollection.HybridSearch"/> merges its branches' rankings
    /// (<c>QV_FUSION_*</c>). Each branch's contribution is multiplied by its
    /// <see cref="HybridBranch.Weight"/>; a point's fused score is the sum over the
    /// branches that found it (higher is better, whatever the metric).
    /// </summary>
    public enum Fusion : uint
    {
        /// <summary>
        /// Reciprocal rank fusion (default): <c>weight / (rrfK + rank)</c>, rank counted from 1
        /// in the branch's own best-first order; only positions matter, not scores.
        /// </summary>
        Rrf = 1,
        /// <summary>
        /// Relative score fusion: each branch's scores (distances negated) min-max normalised to
        /// [0, 1] (its best hit 1, its worst 0; all equal: 1 each), weighted sum.
        /// </summary>
        Rsf = 2,
        /// <summary>
        /// Distribution-based score fusion: each branch's scores (distances negated) normalised
        /// over mean ± 3 population standard deviations, clamped to [0, 1], weighted sum.
        /// </summary>
        Dbsf = 3,
        /// <summary>Weighted sum of the raw scores (distances negated): only for branches on comparable scales.</summary>
        Weighted = 4,
    }

    /// <summary>What a <see cref="HybridBranch"/> searches (<c>QV_BRANCH_*</c>).</summary>
    public enum HybridBranchKind : uint
    {
        /// <summary>A dense vector search (<see cref="HybridBranch.Dense"/>).</summary>
        Dense = 1,
        /// <summary>A BM25 full-text search (<see cref="HybridBranch.Text"/>).</summary>
        Text = 2,
        /// <summary>An exact sparse vector search (<see cref="HybridBranch.Sparse"/>).</summary>
        Sparse = 3,
    }

    /// <summary>
    /// One branch of a <see cref="QuiverCollection.HybridSearch"/> (<c>qv_hybrid_branch</c>): a
    /// dense vector search with its <see cref="SearchOptions"/>, a full-text search with its
    /// <see cref="TextSearchParams"/>, or a sparse vector search with its
    /// <see cref="SparseSearchOptions"/>, and its weight in the fusion. The branch refers to the
    /// vectors and the options objects it was made with and reads them on each search (change
    /// them only while no search uses the branch). Immutable otherwise; one branch may serve
    /// many searches and threads at once.
    /// </summary>
    public sealed class HybridBranch
    {
        private HybridBranch(HybridBranchKind kind, float weight, float[] vector, SearchOptions options,
            string query, byte[] queryUtf8, TextSearchParams textParams,
            string sparseName = null, byte[] sparseNameUtf8 = null, SparseVector sparseQuery = default(SparseVector),
            SparseSearchOptions sparseOptions = null)
        {
            Kind = kind;
            Weight = weight;
            Vector = vector;
            Options = options;
            Query = query;
            QueryUtf8 = queryUtf8;
            TextParams = textParams;
            SparseName = sparseName;
            SparseNameUtf8 = sparseNameUtf8;
            SparseQuery = sparseQuery;
            SparseOptions = sparseOptions;
        }

        /// <summary>
        /// A dense branch: the nearest points to <paramref name="vector"/> (the collection's
        /// dimension, else DimensionMismatch from the search naming the branch), searched with
        /// <paramref name="options"/> (null = the defaults): <c>options.K</c> is the branch's
        /// candidate depth, and its <c>Ef</c>, <c>Exact</c>, <c>Filter</c>, <c>Oversampling</c>
        /// and <c>Rescore</c> apply; its <c>WithPayload</c> is ignored
        /// (<see cref="HybridSearchParams.WithPayload"/> decides).
        /// </summary>
        /// <param name="vector">The query vector.</param>
        /// <param name="options">The branch's search options; null = <c>new SearchOptions()</c>.</param>
        /// <param name="weight">Its weight in the fusion: finite and not negative (else
        /// InvalidArgument from the search). Default 1.</param>
        public static HybridBranch Dense(float[] vector, SearchOptions options, float weight = 1f)
        {
            if (vector == null)
            {
                throw new ArgumentNullException(nameof(vector));
            }
            return new HybridBranch(HybridBranchKind.Dense, weight, vector, options ?? new SearchOptions(), null, null, null);
        }

        /// <summary>
        /// A text branch: BM25 search of <paramref name="query"/> as
        /// <see cref="QuiverCollection.TextSearch"/> runs it with <paramref name="p"/>:
        /// <c>p.K</c> is the branch's candidate depth, and its <c>Fields</c> (with boosts),
        /// <c>Mode</c> and <c>Filter</c> apply; its <c>WithPayload</c> is ignored.
        /// </summary>
        /// <param name="query">The query text.</param>
        /// <param name="p">The branch's text search parameters (at least one field with a text index).</param>
        /// <param name="weight">Its weight in the fusion: finite and not negative. Default 1.</param>
        public static HybridBranch Text(string query, TextSearchParams p, float weight = 1f)
        {
            byte[] q = Utf8.Encode(query, nameof(query));
            if (p == null)
            {
                throw new ArgumentNullException(nameof(p));
            }
            return new HybridBranch(HybridBranchKind.Text, weight, null, null, query, q, p);
        }

        /// <summary>
        /// A sparse branch: the exact dot-product search of <paramref name="query"/> over the
        /// sparse vectors named <paramref name="name"/>, as <see cref="QuiverCollection.SparseSearch"/>
        /// runs it with <paramref name="options"/> (null = the defaults): <c>options.K</c> is the
        /// branch's candidate depth and its <c>Filter</c> applies; its <c>WithPayload</c> is ignored.
        /// </summary>
        /// <param name="name">The sparse vectors' name.</param>
        /// <param name="query">The query (indices in any order; an index twice or a value that
        /// is not finite: InvalidArgument from the search, naming the branch).</param>
        /// <param name="options">The branch's sparse search options; null = <c>new SparseSearchOptions()</c>.</param>
        /// <param name="weight">Its weight in the fusion: finite and not negative. Default 1.</param>
        public static HybridBranch Sparse(string name, SparseVector query, SparseSearchOptions options, float weight = 1f)
        {
            byte[] n = Utf8.Encode(name, nameof(name));
            return new HybridBranch(HybridBranchKind.Sparse, weight, null, null, null, null, null,
                name, n, query, options ?? new SparseSearchOptions());
        }

        /// <summary>Dense, text or sparse.</summary>
        public HybridBranchKind Kind { get; }

        /// <summary>Its weight in the fusion.</summary>
        public float Weight { get; }

        /// <summary>Dense: the query vector (the caller's array, not a copy); null for the other kinds.</summary>
        public float[] Vector { get; }

        /// <summary>Dense: its search options; null for the other kinds.</summary>
        public SearchOptions Options { get; }

        /// <summary>Text: the query text; null for the other kinds.</summary>
        public string Query { get; }

        /// <summary>Text: its text search parameters; null for the other kinds.</summary>
        public TextSearchParams TextParams { get; }

        /// <summary>Sparse: the name of the sparse vectors searched; null for the other kinds.</summary>
        public string SparseName { get; }

        /// <summary>Sparse: the query (referring to the caller's arrays); empty for the other kinds.</summary>
        public SparseVector SparseQuery { get; }

        /// <summary>Sparse: its sparse search options; null for the other kinds.</summary>
        public SparseSearchOptions SparseOptions { get; }

        internal byte[] QueryUtf8 { get; }

        internal byte[] SparseNameUtf8 { get; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            (Kind == HybridBranchKind.Dense
                ? "dense(dim=" + Vector.Length + " k=" + Options.K + (Options.Exact ? " exact" : "") +
                  (Options.Filter == null ? "" : " filter=" + Options.Filter) + ")"
                : Kind == HybridBranchKind.Text
                ? "text(\"" + Query + "\" " + TextParams + ")"
                : "sparse(\"" + SparseName + "\" nnz=" + SparseQuery.Count + " " + SparseOptions + ")") +
            " weight=" + Weight.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Parameters of <see cref="QuiverCollection.HybridSearch"/> (<c>qv_hybrid_params</c>): the
    /// branches, how they are fused, how many fused results and whether with payloads.
    /// Defaults come from the library (<c>qv_hybrid_params_init</c>: k 10, RRF with k 60, no
    /// payloads, no branches). Values are passed as they are; the library checks them
    /// (InvalidArgument naming <c>params.k</c>, <c>params.fusion</c>, ...). Not shared state:
    /// one instance may be used by many threads at once as long as nobody changes it meanwhile.
    /// </summary>
    public sealed class HybridSearchParams
    {
        private int k;

        /// <summary>The library's defaults, without branches (add them to <see cref="Branches"/>).</summary>
        public unsafe HybridSearchParams()
        {
            NativeMethods.qv_hybrid_params p;
            NativeMethods.qv_hybrid_params_init(&p);
            k = unchecked((int)p.k);
            Fusion = (Fusion)p.fusion;
            RrfK = p.rrf_k;
            WithPayload = p.with_payload != 0;
        }

        /// <summary>The defaults with these branches.</summary>
        public HybridSearchParams(params HybridBranch[] branches) : this()
        {
            if (branches == null)
            {
                throw new ArgumentNullException(nameof(branches));
            }
            Branches.AddRange(branches);
        }

        /// <summary>Fused results, 1 to 100000 (0 and larger values are passed on and rejected by the library). Default 10.</summary>
        public int K
        {
            get => k;
            set => k = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(K), value, "k must not be negative");
        }

        /// <summary>How the branches' rankings are merged. Default <see cref="Quiver.Fusion.Rrf"/>.</summary>
        public Fusion Fusion { get; set; }

        /// <summary>RRF's constant, finite and &gt; 0 (ignored by the other fusions). Default 60.</summary>
        public float RrfK { get; set; }

        /// <summary>Return each fused hit's payload (JSON text, byte for byte as written).</summary>
        public bool WithPayload { get; set; }

        /// <summary>The branches, at least one (none: InvalidArgument from the library).</summary>
        public List<HybridBranch> Branches { get; } = new List<HybridBranch>();

        /// <summary>Adds <paramref name="branch"/> to <see cref="Branches"/>; returns this.</summary>
        public HybridSearchParams Add(HybridBranch branch)
        {
            Branches.Add(branch ?? throw new ArgumentNullException(nameof(branch)));
            return this;
        }

        internal unsafe NativeMethods.qv_hybrid_params ToNative(NativeMethods.qv_hybrid_branch* branches, int nbranches)
        {
            NativeMethods.qv_hybrid_params p;
            NativeMethods.qv_hybrid_params_init(&p);
            p.k = (uint)k;
            p.fusion = (uint)Fusion;
            p.rrf_k = RrfK;
            p.with_payload = WithPayload ? 1u : 0u;
            p.branches = branches;
            p.nbranches = (ulong)nbranches;
            return p;
        }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            "k=" + k + " fusion=" + Fusion +
            (Fusion == Fusion.Rrf ? " rrf_k=" + RrfK.ToString(CultureInfo.InvariantCulture) : "") +
            " with_payload=" + WithPayload + " branches=[" + string.Join(", ", Branches) + "]";
    }

    /// <summary>
    /// How <see cref="QuiverCollection.MultiQuerySearch(float[][], SearchOptions, MultiQueryFusion, int, float[], float)"/>
    /// merges the result lists of its query vectors (<c>QV_MULTI_*</c>). Over the lists that hold
    /// a point (a list without it contributes nothing).
    /// </summary>
    public enum MultiQueryFusion : uint
    {
        /// <summary>
        /// The mean of the point's scores over the lists holding it, in the metric's orientation
        /// (distances stay distances, smallest first).
        /// </summary>
        Average = 1,
        /// <summary>The point's best score (the smallest distance), in the metric's orientation.</summary>
        Max = 2,
        /// <summary>Reciprocal rank fusion (default): <c>Σ 1 / (rrfK + rank)</c>; higher is better.</summary>
        Rrf = 3,
        /// <summary><c>Σ weights[i] × score</c> of query i (distances negated); higher is better.</summary>
        Weighted = 4,
    }
}
