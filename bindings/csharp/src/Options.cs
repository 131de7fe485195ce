using System;
using System.Collections.Generic;

namespace Quiver
{
    /// <summary>What a field index holds (<c>QV_FIELD_*</c>).</summary>
    public enum FieldKind : uint
    {
        /// <summary>Strings (equality, in, ordering by code point).</summary>
        Keyword = 1,
        /// <summary>Integers (a float with an integral value counts).</summary>
        Integer = 2,
        /// <summary>Numbers, as doubles.</summary>
        Float = 3,
        /// <summary>Booleans.</summary>
        Bool = 4,
        /// <summary>
        /// RFC 3339 datetime strings (<c>2024-05-01T10:00:00+02:00</c>, or a date
        /// <c>2024-05-01</c>), compared as instants by <c>lt</c>, <c>lte</c>, <c>gt</c>,
        /// <c>gte</c> and <c>between</c> with datetime strings; orders
        /// <see cref="QuiverCollection.ScrollPoints"/> by instant.
        /// </summary>
        Datetime = 5,
        /// <summary>
        /// Full text: BM25 search (<see cref="QuiverCollection.TextSearch"/>) and the filter
        /// conditions <see cref="Quiver.Filter.Text"/>, <see cref="Quiver.Filter.TextAny"/> and
        /// <see cref="Quiver.Filter.Phrase"/>. <see cref="QuiverCollection.CreateFieldIndex"/>
        /// creates it with the default analyzer; <see cref="QuiverCollection.CreateTextIndex"/>
        /// takes the analyzer's options, <see cref="QuiverCollection.DropTextIndex"/> drops it. A
        /// field may have one text index besides one value index.
        /// </summary>
        Text = 6,
    }

    /// <summary>One field index of a collection (<see cref="QuiverCollection.FieldIndexes"/>).</summary>
    public sealed class FieldIndexInfo
    {
        internal FieldIndexInfo(string field, FieldKind kind, ulong ramBytes, ulong diskBytes)
        {
            Field = field;
            Kind = kind;
            RamBytes = ramBytes;
            DiskBytes = diskBytes;
        }

        /// <summary>The payload field, a dotted path.</summary>
        public string Field { get; }
        /// <summary>What it holds.</summary>
        public FieldKind Kind { get; }
        /// <summary>Heap its per-segment indexes hold.</summary>
        public ulong RamBytes { get; }
        /// <summary>Bytes of its files.</summary>
        public ulong DiskBytes { get; }
    }

    /// <summary>How vectors are compared (<c>QV_METRIC_*</c>). Scores are always ordered best first.</summary>
    public enum Metric : uint
    {
        /// <summary>Cosine similarity; higher is closer. Zero vectors are rejected.</summary>
        Cosine = 0,
        /// <summary>L2 distance (not squared); lower is closer.</summary>
        Euclidean = 1,
        /// <summary>Dot product; higher is closer.</summary>
        Dot = 2,
        /// <summary>Number of differing positions; lower is closer.</summary>
        Hamming = 3,
        /// <summary>Jaccard similarity of the non-zero positions; higher is closer.</summary>
        Jaccard = 4,
    }

    /// <summary>What a collection stores (<c>QV_KIND_*</c>).</summary>
    public enum CollectionKind : uint
    {
        /// <summary>Points with vectors (default).</summary>
        Vector = 0,
        /// <summary>Payloads only, no vectors (dimension 0): get, scroll, filter; no vector search.</summary>
        MetadataOnly = 1,
    }

    /// <summary>
    /// How a collection's sealed segments store what searches walk
    /// (<c>QV_STORAGE_*</c>). Fixed when the collection is created.
    /// </summary>
    public enum Storage : uint
    {
        /// <summary>Vectors stored and walked as 32-bit floats (default).</summary>
        F32 = 0,
        /// <summary>
        /// Sealed segments walk one-byte codes per dimension (trained per segment)
        /// and rescore the best candidates on the original vectors, which stay on
        /// disk; see <see cref="SearchOptions.Oversampling"/> and
        /// <see cref="SearchOptions.Rescore"/>. Metrics cosine, dot and euclidean
        /// only, and not for metadata-only collections (the library refuses the
        /// others with InvalidArgument).
        /// </summary>
        Sq8 = 1,
        /// <summary>
        /// IEEE half floats (2 bytes per dimension, 11 significant bits, values up to
        /// 65504), rescored on the original vectors. Default oversampling 2. Metrics
        /// cosine, dot and euclidean.
        /// </summary>
        F16 = 2,
        /// <summary>
        /// bfloat16 (2 bytes per dimension, 8 significant bits, the range of f32),
        /// rescored on the original vectors. Default oversampling 2. Metrics cosine,
        /// dot and euclidean.
        /// </summary>
        Bf16 = 3,
        /// <summary>
        /// One bit per dimension (the sign around the segment's mean) plus 8 bytes per
        /// point, rescored on the original vectors. Default oversampling 5 (10 below 256 dimensions). Metrics
        /// cosine, dot and euclidean.
        /// </summary>
        Binary = 4,
        /// <summary>
        /// Product quantization: one byte per subspace
        /// (<see cref="CollectionConfig.PqSubspaces"/>, <see cref="CollectionConfig.PqCentroids"/>),
        /// trained by k-means per segment and retrained by
        /// <see cref="QuiverCollection.TrainQuantizer"/>; rescored on the original vectors.
        /// Default oversampling 5. Metrics cosine, dot and euclidean.
        /// </summary>
        Pq = 5,
    }

    /// <summary>When writes are fsynced (<c>QV_SYNC_*</c>).</summary>
    public enum SyncMode : uint
    {
        /// <summary>Every write batch is fsynced before it returns (default).</summary>
        EveryBatch = 0,
        /// <summary>fsync only at checkpoints: survives a process crash, not a power loss.</summary>
        Never = 1,
    }

    /// <summary>Options of <see cref="QuiverDatabase.Open(string, DatabaseOptions)"/>.</summary>
    public sealed class DatabaseOptions
    {
        /// <summary>The library's defaults (<c>qv_database_options_init</c>).</summary>
        public unsafe DatabaseOptions()
        {
            NativeMethods.qv_database_options o;
            NativeMethods.qv_database_options_init(&o);
            Sync = (SyncMode)o.sync;
        }

        /// <summary>When writes are fsynced. Default <see cref="SyncMode.EveryBatch"/>.</summary>
        public SyncMode Sync { get; set; }

        internal unsafe NativeMethods.qv_database_options ToNative()
        {
            NativeMethods.qv_database_options o;
            NativeMethods.qv_database_options_init(&o);
            o.sync = (uint)Sync;
            return o;
        }
    }

    /// <summary>
    /// Configuration of a new collection. Defaults come from the library
    /// (<c>qv_collection_config_init</c>: vector kind, cosine, m 16,
    /// ef_construction 200, ef_search 64, f32 storage, PQ subspaces 0 =
    /// automatic, 256 PQ centroids); the library checks the ranges when the
    /// collection is created.
    /// </summary>
    public sealed class CollectionConfig
    {
        /// <summary>A vector collection of <paramref name="dimension"/> floats per vector.</summary>
        public CollectionConfig(int dimension, Metric metric = Metric.Cosine)
            : this(Defaults())
        {
            Dimension = dimension;
            Metric = metric;
        }

        internal CollectionConfig(NativeMethods.qv_collection_config c)
        {
            Kind = (CollectionKind)c.kind;
            Dimension = unchecked((int)c.dimension);
            Metric = (Metric)c.metric;
            HnswM = unchecked((int)c.hnsw_m);
            HnswEfConstruction = unchecked((int)c.hnsw_ef_construction);
            HnswEfSearch = unchecked((int)c.hnsw_ef_search);
            Storage = (Storage)c.storage;
            PqSubspaces = unchecked((int)c.pq_subspaces);
            PqCentroids = unchecked((int)c.pq_centroids);
        }

        /// <summary>A collection of payloads without vectors.</summary>
        public static CollectionConfig MetadataOnly() =>
            new CollectionConfig(0) { Kind = CollectionKind.MetadataOnly };

        /// <summary>Vector (default) or metadata-only.</summary>
        public CollectionKind Kind { get; set; }

        /// <summary>Floats per vector, 1..65536 (0 for metadata-only collections).</summary>
        public int Dimension { get; set; }

        /// <summary>The metric; default cosine.</summary>
        public Metric Metric { get; set; }

        /// <summary>HNSW links per node (2..128). Default 16.</summary>
        public int HnswM { get; set; }

        /// <summary>HNSW build candidate list (1..10000). Default 200.</summary>
        public int HnswEfConstruction { get; set; }

        /// <summary>Default search candidate list (1..10000). Default 64.</summary>
        public int HnswEfSearch { get; set; }

        /// <summary>
        /// How sealed segments store what searches walk; default <see cref="Quiver.Storage.F32"/>.
        /// The quantized modes (every one but F32) need a vector collection with metric
        /// cosine, dot or euclidean. Fixed at creation; <see cref="QuiverCollection.Config"/> reports it.
        /// </summary>
        public Storage Storage { get; set; }

        /// <summary>
        /// <see cref="Quiver.Storage.Pq"/>: subspaces (code bytes per point); must divide
        /// <see cref="Dimension"/> (the library refuses other values with InvalidArgument
        /// naming <c>config.pq_subspaces</c>). 0 (the default) picks the largest divisor of
        /// the dimension not above dimension / 8 (48 for 384), and is reported back as 0.
        /// Used by PQ only, checked in every mode. <see cref="QuiverCollection.TrainQuantizer"/> changes it.
        /// </summary>
        public int PqSubspaces { get; set; }

        /// <summary>
        /// <see cref="Quiver.Storage.Pq"/>: centroids per subspace, 2..256. Default 256.
        /// Used by PQ only, checked in every mode. <see cref="QuiverCollection.TrainQuantizer"/> changes it.
        /// </summary>
        public int PqCentroids { get; set; }

        private static unsafe NativeMethods.qv_collection_config Defaults()
        {
            NativeMethods.qv_collection_config c;
            NativeMethods.qv_collection_config_init(&c);
            return c;
        }

        // Values are passed as they are (a negative int becomes a huge
        // uint): the library validates every field and reports
        // InvalidArgument with the field's name.
        internal NativeMethods.qv_collection_config ToNative()
        {
            var c = Defaults();
            c.kind = (uint)Kind;
            c.dimension = unchecked((uint)Dimension);
            c.metric = (uint)Metric;
            c.hnsw_m = unchecked((uint)HnswM);
            c.hnsw_ef_construction = unchecked((uint)HnswEfConstruction);
            c.hnsw_ef_search = unchecked((uint)HnswEfSearch);
            c.storage = (uint)Storage;
            c.pq_subspaces = unchecked((uint)PqSubspaces);
            c.pq_centroids = unchecked((uint)PqCentroids);
            return c;
        }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            Kind + " dim=" + Dimension + " metric=" + Metric + " m=" + HnswM +
            " ef_construction=" + HnswEfConstruction + " ef_search=" + HnswEfSearch + " storage=" + Storage +
            (Storage == Storage.Pq ? " pq_subspaces=" + PqSubspaces + " pq_centroids=" + PqCentroids : "");
    }

    /// <summary>
    /// Parameters of <see cref="QuiverCollection.TrainQuantizer"/> (<c>qv_train_params</c>).
    /// Defaults come from the library (<c>qv_train_params_init</c>: PQ subspaces 0 =
    /// automatic, 256 centroids, 12 k-means iterations), not from the collection: pass
    /// no options to retrain with the collection's current parameters. Values are
    /// passed as they are; the library checks them and reports InvalidArgument naming
    /// the field (<c>params.pq_subspaces</c>, ...).
    /// </summary>
    public sealed class TrainOptions
    {
        /// <summary>The library's defaults.</summary>
        public unsafe TrainOptions()
        {
            NativeMethods.qv_train_params p;
            NativeMethods.qv_train_params_init(&p);
            PqSubspaces = unchecked((int)p.pq_subspaces);
            PqCentroids = unchecked((int)p.pq_centroids);
            PqIterations = unchecked((int)p.pq_iterations);
        }

        /// <summary>
        /// PQ subspaces (code bytes per point), dividing the dimension; 0 (the default)
        /// picks the largest divisor of the dimension not above dimension / 8.
        /// </summary>
        public int PqSubspaces { get; set; }

        /// <summary>PQ centroids per subspace, 2..256. Default 256.</summary>
        public int PqCentroids { get; set; }

        /// <summary>k-means iterations, 1..100. Default 12.</summary>
        public int PqIterations { get; set; }

        internal unsafe NativeMethods.qv_train_params ToNative()
        {
            NativeMethods.qv_train_params p;
            NativeMethods.qv_train_params_init(&p);
            p.pq_subspaces = unchecked((uint)PqSubspaces);
            p.pq_centroids = unchecked((uint)PqCentroids);
            p.pq_iterations = unchecked((uint)PqIterations);
            return p;
        }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            "pq_subspaces=" + PqSubspaces + " pq_centroids=" + PqCentroids + " pq_iterations=" + PqIterations;
    }

    /// <summary>
    /// Per-call search parameters (<c>qv_search_params</c>). Not shared
    /// state: one instance may be used by many threads at once as long as
    /// nobody changes it meanwhile.
    /// </summary>
    public sealed class SearchOptions
    {
        private int k = 10;
        private int ef;
        private float oversampling;
        private string filter;
        private byte[] filterUtf8;

        /// <summary>
        /// Defaults: k 10, the collection's ef, graph search, no filter, no payloads;
        /// in quantized storage modes, the mode's default oversampling (f16 and bf16 2,
        /// sq8 3, binary and pq 10) and rescoring.
        /// </summary>
        public SearchOptions() { }

        /// <summary>Defaults with <paramref name="k"/> results per query.</summary>
        public SearchOptions(int k) => K = k;

        /// <summary>Results per query (at least 1; 0 is passed on and rejected by the library). Default 10.</summary>
        public int K
        {
            get => k;
            set => k = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(K), value, "k must not be negative");
        }

        /// <summary>HNSW candidate list; 0 = the collection's ef_search. Raised to k when smaller.</summary>
        public int Ef
        {
            get => ef;
            set => ef = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Ef), value, "ef must not be negative");
        }

        /// <summary>Exact (brute-force) search instead of the graph.</summary>
        public bool Exact { get; set; }

        /// <summary>Return each hit's payload (JSON text).</summary>
        public bool WithPayload { get; set; }

        /// <summary>
        /// Quantized storage modes (every <see cref="Storage"/> but F32): the walk on codes
        /// keeps the best k × oversampling candidates for rescoring. 1 to 100, or 0 (the
        /// default) for the mode's default: 2 for <see cref="Storage.F16"/> and
        /// <see cref="Storage.Bf16"/>, 3 for <see cref="Storage.Sq8"/>, 5 for
        /// <see cref="Storage.Pq"/> and <see cref="Storage.Binary"/> (10 below 256 dimensions); a value out of that
        /// range is passed on and rejected by the library (InvalidArgument). Ignored in f32 mode.
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException">The value is negative or NaN.</exception>
        public float Oversampling
        {
            get => oversampling;
            set => oversampling = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Oversampling), value, "oversampling must not be negative or NaN");
        }

        /// <summary>
        /// Quantized storage modes: true (the default) = rescore the candidates on the
        /// original vectors, so the scores returned are exact; false = return the scores
        /// estimated on the codes (faster, approximate). Ignored in f32 mode, whose scores
        /// are always exact.
        /// </summary>
        public bool Rescore { get; set; } = true;

        /// <summary>
        /// A payload filter as JSON text, e.g. <c>{"field": "category", "eq": "noun.animal"}</c>;
        /// null = none. The library parses it on each call.
        /// </summary>
        public string Filter
        {
            get => filter;
            set
            {
                filterUtf8 = Utf8.EncodeOptional(value, nameof(Filter));
                filter = value;
            }
        }

        internal byte[] FilterUtf8 => filterUtf8;

        internal unsafe NativeMethods.qv_search_params ToNative(byte* filterJson, int filterLen)
        {
            NativeMethods.qv_search_params p;
            NativeMethods.qv_search_params_init(&p);
            p.k = (uint)k;
            p.ef = (uint)ef;
            p.exact = Exact ? 1u : 0u;
            p.with_payload = WithPayload ? 1u : 0u;
            p.filter_json = filterJson;
            p.filter_len = (ulong)filterLen;
            p.oversampling = oversampling;
            p.rescore = Rescore ? 1u : 0u;
            return p;
        }
    }

    /// <summary>
    /// How a text index analyzes text and scores it (<c>qv_text_index_options</c>), for
    /// <see cref="QuiverCollection.CreateTextIndex"/>. Words are split at Unicode word
    /// boundaries and lowercased; the same analyzer runs on the indexed text and on the
    /// queries. Defaults come from the library (<c>qv_text_index_options_init</c>: no folding,
    /// no stop words, no stemming, k1 1.2, b 0.75). Values are passed as they are; the
    /// library checks them and reports InvalidArgument naming the field (<c>options.k1</c>, ...).
    /// </summary>
    public sealed class TextIndexOptions
    {
        /// <summary>The library's defaults.</summary>
        public unsafe TextIndexOptions()
        {
            NativeMethods.qv_text_index_options o;
            NativeMethods.qv_text_index_options_init(&o);
            AsciiFolding = o.ascii_folding != 0;
            StopWords = o.stop_words != 0;
            Stemming = o.stemming != 0;
            K1 = o.k1;
            B = o.b;
        }

        /// <summary>Fold letters with diacritics to ASCII (<c>café</c> matches <c>cafe</c>). Default false.</summary>
        public bool AsciiFolding { get; set; }

        /// <summary>Drop the 33 English stop words of Lucene (<c>the</c>, <c>of</c>, ...). Default false.</summary>
        public bool StopWords { get; set; }

        /// <summary>Reduce words to their English (Porter 2) stem (<c>fishes</c> matches <c>fish</c>). Default false.</summary>
        public bool Stemming { get; set; }

        /// <summary>BM25 term-frequency saturation, 0 to 1000. Default 1.2.</summary>
        public float K1 { get; set; }

        /// <summary>BM25 length normalisation, 0 to 1. Default 0.75.</summary>
        public float B { get; set; }

        internal unsafe NativeMethods.qv_text_index_options ToNative()
        {
            NativeMethods.qv_text_index_options o;
            NativeMethods.qv_text_index_options_init(&o);
            o.ascii_folding = AsciiFolding ? 1u : 0u;
            o.stop_words = StopWords ? 1u : 0u;
            o.stemming = Stemming ? 1u : 0u;
            o.k1 = K1;
            o.b = B;
            return o;
        }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            "ascii_folding=" + AsciiFolding + " stop_words=" + StopWords + " stemming=" + Stemming +
            " k1=" + K1.ToString(System.Globalization.CultureInfo.InvariantCulture) +
            " b=" + B.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Which points a text search returns (<c>QV_TEXT_*</c>).</summary>
    public enum TextMode : uint
    {
        /// <summary>Points holding any term of the query in a field searched (default).</summary>
        Any = 1,
        /// <summary>Points where one field holds every term of the query (as that field analyzes it).</summary>
        All = 2,
        /// <summary>Points where one field holds the query's terms in order, adjacent, within one string.</summary>
        Phrase = 3,
    }

    /// <summary>One field of a text search and its boost (<c>qv_text_field</c>).</summary>
    public readonly struct TextField
    {
        /// <summary>The field <paramref name="name"/> (a dotted path with a text index), weighted by <paramref name="boost"/>.</summary>
        public TextField(string name, float boost = 1f)
        {
            Name = name ?? throw new ArgumentNullException(nameof(name));
            Boost = boost;
        }

        /// <summary>The payload field, a dotted path with a text index.</summary>
        public string Name { get; }

        /// <summary>
        /// Its weight in the score: finite and not negative, 1 = as is (the library refuses
        /// other values with InvalidArgument).
        /// </summary>
        public float Boost { get; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            Name + "^" + Boost.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Per-call parameters of <see cref="QuiverCollection.TextSearch"/>
    /// (<c>qv_text_search_params</c>): the fields searched with their boosts (at least
    /// one), <see cref="K"/>, <see cref="Mode"/>, a payload <see cref="Filter"/> and
    /// payloads. Defaults come from the library (<c>qv_text_search_params_init</c>: k 10,
    /// any term, no payloads, no filter). Not shared state: one instance may be used by
    /// many threads at once as long as nobody changes it meanwhile.
    /// </summary>
    public sealed class TextSearchParams
    {
        private int k;
        private string filter;
        private byte[] filterUtf8;

        /// <summary>The library's defaults, without fields (add them to <see cref="Fields"/>).</summary>
        public unsafe TextSearchParams()
        {
            NativeMethods.qv_text_search_params p;
            NativeMethods.qv_text_search_params_init(&p);
            k = unchecked((int)p.k);
            Mode = (TextMode)p.mode;
            WithPayload = p.with_payload != 0;
        }

        /// <summary>The defaults, searching <paramref name="fields"/> with boost 1 each.</summary>
        public TextSearchParams(params string[] fields) : this()
        {
            if (fields == null)
            {
                throw new ArgumentNullException(nameof(fields));
            }
            foreach (string f in fields)
            {
                Fields.Add(new TextField(f));
            }
        }

        /// <summary>
        /// The fields to search, each with a text index and its boost: a point scores the
        /// sum over them of boost × BM25. At least one (none, a field without a text
        /// index or one named twice: InvalidArgument from the library).
        /// </summary>
        public List<TextField> Fields { get; } = new List<TextField>();

        /// <summary>Adds <paramref name="name"/> with <paramref name="boost"/> to <see cref="Fields"/>; returns this.</summary>
        public TextSearchParams Field(string name, float boost = 1f)
        {
            Fields.Add(new TextField(name, boost));
            return this;
        }

        /// <summary>Results, 1 to 100000 (0 and larger values are passed on and rejected by the library). Default 10.</summary>
        public int K
        {
            get => k;
            set => k = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(K), value, "k must not be negative");
        }

        /// <summary>Which points match: <see cref="TextMode.Any"/> (default), <see cref="TextMode.All"/>, <see cref="TextMode.Phrase"/>.</summary>
        public TextMode Mode { get; set; }

        /// <summary>Return each hit's payload (JSON text, byte for byte as written).</summary>
        public bool WithPayload { get; set; }

        /// <summary>
        /// A payload filter as JSON text, as <see cref="SearchOptions.Filter"/> takes it
        /// (e.g. <c>Filter.Eq("lang", "en").Json</c>); null = none. It selects the points
        /// returned; the BM25 statistics stay those of the whole collection.
        /// </summary>
        public string Filter
        {
            get => filter;
            set
            {
                filterUtf8 = Utf8.EncodeOptional(value, nameof(Filter));
                filter = value;
            }
        }

        internal byte[] FilterUtf8 => filterUtf8;

        internal unsafe NativeMethods.qv_text_search_params ToNative(NativeMethods.qv_text_field* fields, int nfields,
            byte* filterJson, int filterLen)
        {
            NativeMethods.qv_text_search_params p;
            NativeMethods.qv_text_search_params_init(&p);
            p.k = (uint)k;
            p.mode = (uint)Mode;
            p.with_payload = WithPayload ? 1u : 0u;
            p.fields = fields;
            p.nfields = (ulong)nfields;
            p.filter_json = filterJson;
            p.filter_len = (ulong)filterLen;
            return p;
        }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            "fields=[" + string.Join(", ", Fields) + "] k=" + k + " mode=" + Mode + " with_payload=" + WithPayload +
            (filter == null ? "" : " filter=" + filter);
    }

    /// <summary>
    /// What <see cref="QuiverCollection.ScrollPoints"/> reads (<c>qv_scroll_params</c>):
    /// the points matching <see cref="Filter"/>, by ascending id or ordered by the
    /// indexed field <see cref="OrderBy"/>, <see cref="Limit"/> a page, from
    /// <see cref="Cursor"/> on. Not shared state: one instance may be used by many
    /// threads at once as long as nobody changes it meanwhile.
    /// </summary>
    public sealed class ScrollOptions
    {
        private int limit;
        private string filter;
        private byte[] filterUtf8;
        private string orderBy;
        private byte[] orderByUtf8;
        private string cursor;
        private byte[] cursorUtf8;

        /// <summary>The library's defaults (<c>qv_scroll_params_init</c>): 100 a page, payloads without vectors, all points, by id, the first page.</summary>
        public unsafe ScrollOptions()
        {
            NativeMethods.qv_scroll_params p;
            NativeMethods.qv_scroll_params_init(&p);
            limit = unchecked((int)p.limit);
            WithVectors = p.with_vectors != 0;
            WithPayload = p.with_payload != 0;
            Descending = p.descending != 0;
        }

        /// <summary>Defaults with <paramref name="limit"/> points a page.</summary>
        public ScrollOptions(int limit) : this() => Limit = limit;

        /// <summary>Points per page (at least 1; 0 is passed on and rejected by the library). Default 100.</summary>
        public int Limit
        {
            get => limit;
            set => limit = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Limit), value, "limit must not be negative");
        }

        /// <summary>Return each point's vector. Default false (<see cref="QuiverPoint.Vector"/> is then null).</summary>
        public bool WithVectors { get; set; }

        /// <summary>Return each point's payload. Default true.</summary>
        public bool WithPayload { get; set; }

        /// <summary>A payload filter as JSON text (e.g. <c>Filter.Eq("lang", "fr").Json</c>); null or empty = all points.</summary>
        public string Filter
        {
            get => filter;
            set
            {
                filterUtf8 = Utf8.EncodeOptional(value, nameof(Filter));
                filter = value;
            }
        }

        /// <summary>
        /// The payload field (a path) to order by; it must have an integer, float or
        /// datetime index. A point comes by its smallest value (its largest when
        /// <see cref="Descending"/>), ties by ascending id; points without a value of
        /// the index's kind are left out. Null or empty = by ascending id.
        /// </summary>
        public string OrderBy
        {
            get => orderBy;
            set
            {
                orderByUtf8 = Utf8.EncodeOptional(value, nameof(OrderBy));
                orderBy = value;
            }
        }

        /// <summary>Largest values first (with <see cref="OrderBy"/>; a scroll by id is always ascending).</summary>
        public bool Descending { get; set; }

        /// <summary>
        /// Where to go on: the <see cref="PointsPage.NextCursor"/> of the previous page,
        /// with these options otherwise unchanged; null = the first page.
        /// </summary>
        public string Cursor
        {
            get => cursor;
            set
            {
                cursorUtf8 = Utf8.EncodeOptional(value, nameof(Cursor));
                cursor = value;
            }
        }

        internal byte[] FilterUtf8 => filterUtf8;
        internal byte[] OrderByUtf8 => orderByUtf8;
        internal byte[] CursorUtf8 => cursorUtf8;

        /// <summary>A copy (for an iteration that must not see later changes).</summary>
        internal ScrollOptions Clone() => (ScrollOptions)MemberwiseClone();

        internal unsafe NativeMethods.qv_scroll_params ToNative(byte* filterJson, int filterLen,
            byte* orderByField, int orderByLen, byte* cursorText, int cursorLen)
        {
            NativeMethods.qv_scroll_params p;
            NativeMethods.qv_scroll_params_init(&p);
            p.limit = (uint)limit;
            p.with_vectors = WithVectors ? 1u : 0u;
            p.with_payload = WithPayload ? 1u : 0u;
            p.descending = Descending ? 1u : 0u;
            p.filter_json = filterJson;
            p.filter_len = (ulong)filterLen;
            p.order_by = orderByField;
            p.order_by_len = (ulong)orderByLen;
            p.cursor = cursorText;
            p.cursor_len = (ulong)cursorLen;
            return p;
        }
    }

    /// <summary>The native library's version.</summary>
    public static class QuiverLibrary
    {
        /// <summary>The ABI version this binding was written for (<c>QV_ABI_VERSION</c>).</summary>
        public const uint ExpectedAbiVersion = NativeMethods.AbiVersion;

        /// <summary>The library version, e.g. "0.1.0" (<c>qv_version()</c>).</summary>
        public static string Version => Utf8.FromNulTerminated(NativeMethods.qv_version());

        /// <summary>The ABI version the loaded library was built with (<c>qv_abi_version()</c>).</summary>
        public static uint AbiVersion => NativeMethods.qv_abi_version();

        private static volatile bool checkedAbi;

        /// <summary>Throws when the loaded libquiver has another ABI version than this binding.</summary>
        internal static void EnsureCompatible()
        {
            if (checkedAbi)
            {
                return;
            }
            uint abi = NativeMethods.qv_abi_version();
            if (abi != ExpectedAbiVersion)
            {
                throw new QuiverException(QuiverStatus.IncompatibleFormat,
                    "incompatible format: the loaded libquiver has ABI version " + abi +
                    ", this binding needs " + ExpectedAbiVersion);
            }
            checkedAbi = true;
        }
    }
}
