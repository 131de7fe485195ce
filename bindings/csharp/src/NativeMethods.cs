// The C ABI of include/quiver.h, declared for P/Invoke. Every signature is
// blittable: handles are SafeHandles (the marshaller holds a reference on
// them for the duration of the call, so a concurrent Dispose cannot free a
// handle under a call in flight), buffers are raw pointers into arrays the
// caller pins with `fixed`, size_t is UIntPtr, and the optional
// `qv_error **err` is an IntPtr that Errors.Check wraps in an ErrorHandle
// straight away (no SafeHandle is allocated on the success path). The one
// callback (qv_progress_fn) is passed as the IntPtr of
// Marshal.GetFunctionPointerForDelegate, its delegate kept alive by the
// caller for the whole call.
using System;
using System.Runtime.InteropServices;

namespace Quiver
{
    internal static unsafe class NativeMethods
    {
        internal const string Lib = "quiver";

        /// <summary>QV_ABI_VERSION of the header this binding was written against.</summary>
        internal const uint AbiVersion = 4;

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_collection_config
        {
            public uint struct_size;
            public uint kind;
            public uint dimension;
            public uint metric;
            public uint hnsw_m;
            public uint hnsw_ef_construction;
            public uint hnsw_ef_search;
            public uint storage;
            public uint pq_subspaces;
            public uint pq_centroids;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_train_params
        {
            public uint struct_size;
            public uint pq_subspaces;
            public uint pq_centroids;
            public uint pq_iterations;
        }

        /// <summary>
        /// <c>qv_progress_fn</c>: <paramref name="done"/> of <paramref name="total"/> steps;
        /// nonzero = go on, 0 = cancel. Called on the thread that called
        /// qv_collection_train_quantizer, from inside that native call.
        /// </summary>
        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        internal delegate int qv_progress_fn(IntPtr user_data, ulong done, ulong total);

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_field_index_view
        {
            public IntPtr field;
            public uint kind;
            public uint reserved;
            public ulong ram_bytes;
            public ulong disk_bytes;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_database_options
        {
            public uint struct_size;
            public uint sync;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_points_view
        {
            public ulong count;
            public ulong dimension;
            public ulong* ids;
            public byte* found;
            public float* vectors;
            public ulong* payload_offsets;
            public byte* payload_data;
            public ulong payload_data_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_results_view
        {
            public ulong num_queries;
            public ulong num_hits;
            public ulong* offsets;
            public ulong* ids;
            public float* scores;
            public ulong* payload_offsets;
            public byte* payload_data;
            public ulong payload_data_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_search_params
        {
            public uint struct_size;
            public uint k;
            public uint ef;
            public uint exact;
            public uint with_payload;
            public uint reserved;
            public byte* filter_json;
            public ulong filter_len;
            public float oversampling;
            public uint rescore;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_scroll_params
        {
            public uint struct_size;
            public uint limit;
            public uint with_vectors;
            public uint with_payload;
            public uint descending;
            public uint reserved;
            public byte* filter_json;
            public ulong filter_len;
            public byte* order_by;
            public ulong order_by_len;
            public byte* cursor;
            public ulong cursor_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_segment_stats
        {
            public ulong id;
            public uint kind;
            public uint reserved;
            public ulong points;
            public ulong deleted;
            public ulong disk_bytes;
            public ulong ram_bytes;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_component_stats
        {
            public byte* name;
            public ulong disk_bytes;
            public ulong ram_bytes;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_stats_view
        {
            public ulong live_points;
            public ulong deleted_points;
            public ulong disk_bytes;
            public ulong ram_bytes;
            public uint optimizer_state;
            public uint reserved;
            public ulong optimizer_runs;
            public byte* optimizer_error;
            public byte* read_only_cause;
            public qv_segment_stats* segments;
            public ulong segment_count;
            public qv_component_stats* components;
            public ulong component_count;
            public byte** rebuilt_on_open;
            public ulong rebuilt_count;
            public byte* json;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_text_index_options
        {
            public uint struct_size;
            public uint ascii_folding;
            public uint stop_words;
            public uint stemming;
            public float k1;
            public float b;
            public uint reserved;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_text_field
        {
            public byte* name;
            public ulong name_len;
            public float boost;
            public uint reserved;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_text_search_params
        {
            public uint struct_size;
            public uint k;
            public uint mode;
            public uint with_payload;
            public qv_text_field* fields;
            public ulong nfields;
            public byte* filter_json;
            public ulong filter_len;
            public uint reserved;
            public uint reserved2;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_sparse_search_params
        {
            public uint struct_size;
            public uint k;
            public uint with_payload;
            public uint reserved;
            public byte* name;
            public ulong name_len;
            public byte* filter_json;
            public ulong filter_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_sparse_column
        {
            public byte* name;
            public ulong name_len;
            public ulong* indptr;
            public uint* indices;
            public float* values;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_sparse_view
        {
            public ulong count;
            public ulong* indptr;
            public uint* indices;
            public float* values;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_hybrid_branch
        {
            public uint struct_size;
            public uint kind;
            public float weight;
            public uint reserved;
            public float* vector;
            public ulong dim;
            public qv_search_params* search;
            public byte* query;
            public ulong query_len;
            public qv_text_search_params* text;
            public uint* sparse_indices;
            public float* sparse_values;
            public ulong sparse_nnz;
            public qv_sparse_search_params* sparse;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_hybrid_params
        {
            public uint struct_size;
            public uint k;
            public uint fusion;
            public float rrf_k;
            public uint with_payload;
            public uint reserved;
            public qv_hybrid_branch* branches;
            public ulong nbranches;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_multi_query_params
        {
            public uint struct_size;
            public uint fusion;
            public float rrf_k;
            public uint candidates;
            public float* weights;
            public ulong nweights;
            public uint reserved;
            public uint reserved2;
        }

        // ---- edges and traversals -------------------------------------------------------------

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_edge
        {
            public ulong id;
            public ulong source;
            public ulong target;
            public byte* label;
            public ulong label_len;
            public byte* properties_json;
            public ulong properties_len;
            public float weight;
            public uint reserved;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_label
        {
            public byte* name;
            public ulong len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_traverse_params
        {
            public uint struct_size;
            public uint order;
            public uint min_depth;
            public uint max_depth;
            public uint direction;
            public uint limit;
            public qv_label* labels;
            public ulong nlabels;
            public qv_label* hop_labels;
            public ulong* hop_indptr;
            public ulong nhops;
            public byte* filter_json;
            public ulong filter_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_visit
        {
            public ulong id;
            public ulong origin;
            public uint depth;
            public uint has_score;
            public float score;
            public uint reserved;
            public ulong* path;
            public ulong path_len;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_path_params
        {
            public uint struct_size;
            public uint direction;
            public uint weighted;
            public uint max_depth;
            public qv_label* labels;
            public ulong nlabels;
        }

        [StructLayout(LayoutKind.Sequential)]
        internal struct qv_path_view
        {
            public ulong* points;
            public ulong npoints;
            public ulong* edges;
            public double cost;
        }

        // ---- version ---------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr qv_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint qv_abi_version();

        // ---- errors ----------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_error_code(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr qv_error_message(IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_error_free(IntPtr err);

        // ---- database --------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_database_options_init(qv_database_options* opts);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_database_open(byte* path, UIntPtr path_len,
            qv_database_options* opts, out DatabaseHandle db, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_database_close(DatabaseHandle db, out IntPtr err);

        // For DatabaseHandle.ReleaseHandle, which must not touch the SafeHandle itself.
        [DllImport(Lib, EntryPoint = "qv_database_close", CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_database_close_raw(IntPtr db, IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_database_free(IntPtr db);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_database_create_collection(DatabaseHandle db, byte* name,
            UIntPtr name_len, qv_collection_config* config, out CollectionHandle coll, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_database_open_collection(DatabaseHandle db, byte* name,
            UIntPtr name_len, out CollectionHandle coll, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_database_list_collections(DatabaseHandle db,
            out StringsHandle list, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_database_drop_collection(DatabaseHandle db, byte* name,
            UIntPtr name_len, out IntPtr err);

        // ---- collection ------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_collection_config_init(qv_collection_config* config);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_get_config(CollectionHandle coll,
            qv_collection_config* config, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_checkpoint(CollectionHandle coll, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_collection_free(IntPtr coll);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_optimize(CollectionHandle coll, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_train_params_init(qv_train_params* p);

        // `progress`: NULL or Marshal.GetFunctionPointerForDelegate of a qv_progress_fn
        // that the caller keeps alive until this returns.
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_train_quantizer(CollectionHandle coll, qv_train_params* p,
            IntPtr progress, IntPtr user_data, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_create_field_index(CollectionHandle coll, byte* field,
            UIntPtr field_len, uint kind, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_drop_field_index(CollectionHandle coll, byte* field,
            UIntPtr field_len, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_list_field_indexes(CollectionHandle coll,
            out FieldIndexesHandle list, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern UIntPtr qv_field_indexes_count(FieldIndexesHandle list);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_field_indexes_get(FieldIndexesHandle list, UIntPtr index,
            qv_field_index_view* view, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_field_indexes_free(IntPtr list);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_wait_optimized(CollectionHandle coll, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_verify(CollectionHandle coll, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_stats(CollectionHandle coll, out StatsHandle stats, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_upsert(CollectionHandle coll, ulong* ids, UIntPtr n,
            float* vectors, UIntPtr vectors_len, ulong* payload_offsets, byte* payload_data,
            UIntPtr payload_data_len, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_delete(CollectionHandle coll, ulong* ids, UIntPtr n,
            out ulong deleted, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_count(CollectionHandle coll, out ulong count, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_scroll(CollectionHandle coll, ulong from,
            byte* filter_json, UIntPtr filter_len, ulong* ids, UIntPtr ids_cap,
            out UIntPtr count, out ulong next, out byte has_next, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_get(CollectionHandle coll, ulong* ids, UIntPtr n,
            out PointsHandle points, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_search_params_init(qv_search_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_search(CollectionHandle coll, float* queries,
            UIntPtr nq, UIntPtr dim, qv_search_params* p, ulong* ids, float* scores,
            UIntPtr out_len, uint* counts, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_search_results(CollectionHandle coll, float* queries,
            UIntPtr nq, UIntPtr dim, qv_search_params* p, out ResultsHandle results, out IntPtr err);

        // ---- payload operations, filtered count and delete, scroll of points, explain ----

        internal const uint PayloadSet = 1;        // QV_PAYLOAD_SET
        internal const uint PayloadOverwrite = 2;  // QV_PAYLOAD_OVERWRITE
        internal const uint PayloadDeleteKeys = 3; // QV_PAYLOAD_DELETE_KEYS
        internal const uint PayloadClear = 4;      // QV_PAYLOAD_CLEAR

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_update_payload(CollectionHandle coll, uint op,
            ulong* ids, UIntPtr n_ids, byte* filter_json, UIntPtr filter_len, byte* arg_json,
            UIntPtr arg_len, out ulong applied, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_delete_where(CollectionHandle coll, byte* filter_json,
            UIntPtr filter_len, out ulong deleted, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_count_where(CollectionHandle coll, byte* filter_json,
            UIntPtr filter_len, out ulong count, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_scroll_params_init(qv_scroll_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_scroll_points(CollectionHandle coll, qv_scroll_params* p,
            out PointsHandle points, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_points_next_cursor(PointsHandle points, out IntPtr cursor,
            out UIntPtr len, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_explain(CollectionHandle coll, float* query, UIntPtr dim,
            qv_search_params* p, out StringsHandle plan, out IntPtr err);

        // ---- owned results -----------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_points_get_view(PointsHandle points, qv_points_view* view, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_points_free(IntPtr points);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_results_get_view(ResultsHandle results, qv_results_view* view, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_results_free(IntPtr results);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_stats_get_view(StatsHandle stats, qv_stats_view* view, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_stats_free(IntPtr stats);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern UIntPtr qv_strings_count(StringsHandle list);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_strings_get(StringsHandle list, UIntPtr index, out IntPtr str,
            out UIntPtr len, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_strings_free(IntPtr list);

        // ---- text indexes and BM25 search ----------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_text_index_options_init(qv_text_index_options* options);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_create_text_index(CollectionHandle coll, byte* field,
            UIntPtr field_len, qv_text_index_options* options, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_drop_text_index(CollectionHandle coll, byte* field,
            UIntPtr field_len, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_text_search_params_init(qv_text_search_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_text_search(CollectionHandle coll, byte* query,
            UIntPtr query_len, qv_text_search_params* p, out ResultsHandle results, out IntPtr err);

        // ---- hybrid search and multi-query search ------------------------------------------

        internal const uint BranchDense = 1;  // QV_BRANCH_DENSE
        internal const uint BranchText = 2;   // QV_BRANCH_TEXT
        internal const uint BranchSparse = 3; // QV_BRANCH_SPARSE

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_hybrid_branch_init(qv_hybrid_branch* branch);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_hybrid_params_init(qv_hybrid_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_hybrid_search(CollectionHandle coll, qv_hybrid_params* p,
            out ResultsHandle results, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_multi_query_params_init(qv_multi_query_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_multi_query_search(CollectionHandle coll, float* queries,
            UIntPtr nq, UIntPtr dim, qv_search_params* search, qv_multi_query_params* multi,
            out ResultsHandle results, out IntPtr err);

        // ---- named sparse vectors ------------------------------------------------------------

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_upsert_sparse(CollectionHandle coll, ulong* ids, UIntPtr n,
            float* vectors, UIntPtr vectors_len, ulong* payload_offsets, byte* payload_data,
            UIntPtr payload_data_len, qv_sparse_column* columns, UIntPtr ncolumns, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_update_sparse(CollectionHandle coll, ulong* ids, UIntPtr n,
            qv_sparse_column* column, out ulong updated, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_get_sparse(CollectionHandle coll, ulong* ids, UIntPtr n,
            byte* name, UIntPtr name_len, out SparseHandle sparse, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_sparse_get_view(SparseHandle sparse, qv_sparse_view* view, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_sparse_free(IntPtr sparse);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_sparse_search_params_init(qv_sparse_search_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_sparse_search(CollectionHandle coll, uint* indices,
            float* values, UIntPtr nnz, qv_sparse_search_params* p, out ResultsHandle results, out IntPtr err);

        // ---- edges and traversals -------------------------------------------------------------

        internal const uint Bfs = 0;           // QV_BFS
        internal const uint Dfs = 1;           // QV_DFS
        internal const uint DirectionOut = 0;  // QV_DIRECTION_OUT
        internal const uint DirectionIn = 1;   // QV_DIRECTION_IN
        internal const uint DirectionBoth = 2; // QV_DIRECTION_BOTH

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_edge_init(qv_edge* edge);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_add_edges(CollectionHandle coll, qv_edge* edges, UIntPtr n,
            out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_remove_edges(CollectionHandle coll, ulong* ids, UIntPtr n,
            out ulong removed, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_get_edges(CollectionHandle coll, ulong* ids, UIntPtr n,
            out EdgesHandle edges, out IntPtr err);

        // `source`, `target`: NULL = any.
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_find_edges(CollectionHandle coll, ulong* source, ulong* target,
            byte* label, UIntPtr label_len, out EdgesHandle edges, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern UIntPtr qv_edges_count(EdgesHandle edges);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_edges_get(EdgesHandle edges, UIntPtr index, qv_edge* edge, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_edges_free(IntPtr edges);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_degree(CollectionHandle coll, ulong point, byte* label,
            UIntPtr label_len, out ulong in_degree, out ulong out_degree, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_count_edges(CollectionHandle coll, out ulong count, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_set_graph_schema(CollectionHandle coll, byte* schema_json,
            UIntPtr schema_len, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_get_graph_schema(CollectionHandle coll, out StringsHandle list,
            out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_traverse_params_init(qv_traverse_params* p);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_traverse(CollectionHandle coll, ulong* starts, UIntPtr n,
            qv_traverse_params* p, out TraversalHandle traversal, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_search_expand(CollectionHandle coll, float* query, UIntPtr dim,
            qv_search_params* p, qv_traverse_params* traverse, out TraversalHandle traversal, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_expand_hits(CollectionHandle coll, ulong* ids, float* scores,
            UIntPtr n, qv_traverse_params* p, out TraversalHandle traversal, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_traverse_ranked(CollectionHandle coll, ulong* starts, UIntPtr n,
            qv_traverse_params* p, float* query, UIntPtr dim, uint k, out TraversalHandle traversal, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern UIntPtr qv_traversal_count(TraversalHandle traversal);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_traversal_get(TraversalHandle traversal, UIntPtr index, qv_visit* visit,
            out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_traversal_free(IntPtr traversal);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_path_params_init(qv_path_params* p);

        // `path` receives NULL (an invalid handle) with QV_OK when `to` cannot be reached.
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_collection_shortest_path(CollectionHandle coll, ulong from, ulong to,
            qv_path_params* p, out PathHandle path, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern int qv_path_get_view(PathHandle path, qv_path_view* view, out IntPtr err);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void qv_path_free(IntPtr path);
    }
}
