using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Quiver
{
    // Named sparse vectors: qv_collection_upsert_sparse, qv_collection_update_sparse,
    // qv_collection_get_sparse and qv_collection_sparse_search.
    public sealed partial class QuiverCollection
    {
        /// <summary>
        /// <see cref="Upsert(ulong[], float[], string[])"/> with named sparse vectors: each column
        /// of <paramref name="sparse"/> (each a different name) holds one row per id, and point i
        /// gets row i of each column that is not empty. A point keeps only the sparse vectors
        /// given here (an upsert replaces the whole point). The batch, its vectors, payloads and
        /// columns are checked whole before anything is written, in one native call, durable when
        /// this returns.
        /// </summary>
        /// <param name="ids">The points' ids.</param>
        /// <param name="vectors">Their dense vectors, row-major (null or empty for a metadata-only collection).</param>
        /// <param name="payloads">Their JSON payloads (null = none; the whole array may be null).</param>
        /// <param name="sparse">The sparse vectors, one column per name (none = a plain upsert).</param>
        /// <exception cref="QuiverException">InvalidArgument (as <see cref="Upsert(ulong[], float[], string[])"/>,
        /// and: a bad or empty name, a name twice, an index twice in a vector (<c>index 4 is given
        /// twice</c>), a value that is not finite, more than 64 names or 1,048,576 entries for a
        /// point; the message names the column as <c>sparse[i] ("name")</c> and the point by id
        /// and batch index; a column without one row per id), DimensionMismatch, Closed, ReadOnly,
        /// OutOfMemory, Io.</exception>
        public void UpsertSparse(ulong[] ids, float[] vectors, string[] payloads, params SparseColumn[] sparse)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            ulong[] offsets = null;
            byte[] data = null;
            if (payloads != null)
            {
                if (payloads.Length != ids.Length)
                {
                    throw Errors.Invalid(payloads.Length + " payloads for " + ids.Length + " ids");
                }
                data = Utf8.EncodeBatch(payloads, out offsets, nameof(payloads));
            }
            UpsertSparseCore(ids, vectors, vectors == null ? 0 : vectors.Length, offsets, data, Columns(sparse, ids.Length));
        }

        /// <summary>
        /// <see cref="UpsertSparse(ulong[], float[], string[], SparseColumn[])"/> with one dense
        /// vector per row of <paramref name="vectors"/> (copied into one buffer).
        /// </summary>
        public void UpsertSparse(ulong[] ids, float[][] vectors, string[] payloads, params SparseColumn[] sparse)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            UpsertSparse(ids, Flatten(vectors, ids.Length, "vectors", "vector"), payloads, sparse);
        }

        /// <summary>
        /// Inserts or replaces one point with the sparse vectors of <paramref name="sparse"/>
        /// (name → vector; an empty vector gives no vector of that name; null = none).
        /// </summary>
        public void UpsertSparse(ulong id, float[] vector, string payload, IReadOnlyDictionary<string, SparseVector> sparse)
        {
            var columns = new List<SparseColumn>();
            if (sparse != null)
            {
                foreach (KeyValuePair<string, SparseVector> e in sparse)
                {
                    columns.Add(new SparseColumn(e.Key, new SparseVector?[] { e.Value }));
                }
            }
            UpsertSparse(new[] { id }, vector, payload == null ? null : new[] { payload }, columns.ToArray());
        }

        // The columns of a write of n points, checked for what the library cannot see.
        private static SparseColumn[] Columns(SparseColumn[] sparse, int n)
        {
            if (sparse == null)
            {
                return new SparseColumn[0];
            }
            for (int i = 0; i < sparse.Length; i++)
            {
                if (sparse[i] == null)
                {
                    throw new ArgumentNullException(nameof(sparse), "sparse[" + i + "] is null");
                }
                sparse[i].CheckFor(n, "sparse[" + i + "]");
            }
            return sparse;
        }

        private unsafe void UpsertSparseCore(ulong[] ids, float[] vectors, int vectorsLen, ulong[] offsets, byte[] data,
            SparseColumn[] columns)
        {
            // The columns' arrays are pinned with GCHandles (their number varies), the
            // qv_sparse_column array and the point arrays with fixed, all for the one call.
            var structs = new NativeMethods.qv_sparse_column[columns.Length];
            var pins = new List<GCHandle>(4 * columns.Length);
            int rc;
            IntPtr err;
            int dataLen = data == null ? 0 : data.Length;
            try
            {
                for (int i = 0; i < columns.Length; i++)
                {
                    SparseColumn c = columns[i];
                    structs[i].name = (byte*)Pin(c.NameUtf8, pins);
                    structs[i].name_len = (ulong)c.NameUtf8.Length;
                    structs[i].indptr = (ulong*)Pin(c.Indptr, pins);
                    structs[i].indices = (uint*)Pin(c.Indices, pins);
                    structs[i].values = (float*)Pin(c.Values, pins);
                }
                fixed (ulong* pi = ids)
                fixed (float* pv = vectors)
                fixed (ulong* po = offsets)
                fixed (byte* pd = data)
                fixed (NativeMethods.qv_sparse_column* pc = structs)
                {
                    try
                    {
                        rc = NativeMethods.qv_collection_upsert_sparse(Live, pi, (UIntPtr)(uint)ids.Length,
                            pv, (UIntPtr)(uint)vectorsLen, po, pd, (UIntPtr)(uint)dataLen,
                            pc, (UIntPtr)(uint)columns.Length, out err);
                    }
                    catch (ObjectDisposedException)
                    {
                        throw Errors.Disposed("collection");
                    }
                }
            }
            finally
            {
                foreach (GCHandle h in pins)
                {
                    h.Free();
                }
            }
            Errors.Check(rc, err);
        }

        // The address of `a` pinned until its handle (added to `pins`) is freed; null when empty.
        private static IntPtr Pin(Array a, List<GCHandle> pins)
        {
            if (a == null || a.Length == 0)
            {
                return IntPtr.Zero;
            }
            GCHandle h = GCHandle.Alloc(a, GCHandleType.Pinned);
            pins.Add(h);
            return h.AddrOfPinnedObject();
        }

        /// <summary>
        /// Sets the sparse vector <paramref name="name"/> of each point <paramref name="ids"/>[i]
        /// to <paramref name="vectors"/>[i] (null or empty removes it), leaving its dense vector,
        /// payload and other sparse vectors as they are. Ids that do not exist are ignored; a
        /// repeated id takes its last vector. Everything is checked first (on any error nothing
        /// changes); one atomic write, durable when this returns.
        /// </summary>
        /// <returns>How many of the points exist (the points it applied to; a repeated id counts once).</returns>
        /// <exception cref="QuiverException">InvalidArgument (a bad or empty name, an index twice,
        /// a value that is not finite, a point over the limits, <paramref name="vectors"/> not one
        /// per id), Closed, ReadOnly, Io.</exception>
        public long UpdateSparse(ulong[] ids, string name, SparseVector?[] vectors)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            if (vectors == null)
            {
                throw new ArgumentNullException(nameof(vectors));
            }
            if (vectors.Length != ids.Length)
            {
                throw Errors.Invalid(vectors.Length + " sparse vectors for " + ids.Length + " ids");
            }
            return UpdateSparse(ids, new SparseColumn(name, vectors));
        }

        /// <summary>
        /// <see cref="UpdateSparse(ulong[], string, SparseVector?[])"/> with the vectors of
        /// <paramref name="column"/> (one row per id; an empty row removes the vector).
        /// </summary>
        /// <returns>How many of the points exist (a repeated id counts once).</returns>
        public unsafe long UpdateSparse(ulong[] ids, SparseColumn column)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            if (column == null)
            {
                throw new ArgumentNullException(nameof(column));
            }
            column.CheckFor(ids.Length, "column");
            int rc;
            IntPtr err;
            ulong updated;
            fixed (ulong* pi = ids)
            fixed (byte* pn = column.NameUtf8)
            fixed (ulong* pp = column.Indptr)
            fixed (uint* px = column.Indices)
            fixed (float* pv = column.Values)
            {
                var c = new NativeMethods.qv_sparse_column
                {
                    name = pn,
                    name_len = (ulong)column.NameUtf8.Length,
                    indptr = pp,
                    indices = px,
                    values = pv,
                };
                try
                {
                    rc = NativeMethods.qv_collection_update_sparse(Live, pi, (UIntPtr)(uint)ids.Length, &c, out updated, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            return (long)updated;
        }

        /// <summary>
        /// The sparse vectors named <paramref name="name"/> of the points <paramref name="ids"/>,
        /// read in one call and copied out: entry i for <paramref name="ids"/>[i], its entries by
        /// ascending index, or null when the point does not exist or has no vector of that name.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument (a bad or empty name), Closed, OutOfMemory.</exception>
        public unsafe SparseVector?[] GetSparse(ulong[] ids, string name)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            byte[] n = Utf8.Encode(name, nameof(name));
            int rc;
            IntPtr err;
            SparseHandle h;
            fixed (ulong* pi = ids)
            fixed (byte* pn = n)
            {
                try
                {
                    rc = NativeMethods.qv_collection_get_sparse(Live, pi, (UIntPtr)(uint)ids.Length, pn, (UIntPtr)(uint)n.Length,
                        out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            using (h)
            {
                Errors.Check(rc, err);
                NativeMethods.qv_sparse_view v;
                rc = NativeMethods.qv_sparse_get_view(h, &v, out err);
                Errors.Check(rc, err);
                if (v.count != (ulong)ids.Length)
                {
                    throw new QuiverException(QuiverStatus.Internal,
                        "internal: qv_collection_get_sparse returned " + v.count + " rows for " + ids.Length + " ids");
                }
                var result = new SparseVector?[ids.Length];
                for (int i = 0; i < result.Length; i++)
                {
                    ulong a = v.indptr[i], b = v.indptr[i + 1];
                    if (a == b)
                    {
                        continue;
                    }
                    int len = checked((int)(b - a));
                    var indices = new uint[len];
                    var values = new float[len];
                    fixed (uint* di = indices)
                    fixed (float* dv = values)
                    {
                        long bytes = (long)len * sizeof(uint);
                        Buffer.MemoryCopy(v.indices + a, di, bytes, bytes);
                        Buffer.MemoryCopy(v.values + a, dv, bytes, bytes);
                    }
                    result[i] = new SparseVector(indices, values);
                }
                return result;
            }
        }

        /// <summary>The sparse vector <paramref name="name"/> of point <paramref name="id"/>, or null when there is none.</summary>
        public SparseVector? GetSparse(ulong id, string name) => GetSparse(new[] { id }, name)[0];

        /// <summary>
        /// Exact sparse vector search: the best <c>options.K</c> points by the dot product of
        /// their sparse vector <paramref name="name"/> with <paramref name="query"/> (indices in
        /// any order), among the points that share at least one index with the query and match
        /// <c>options.Filter</c>, best first (equal scores by ascending id), with payloads when
        /// <c>options.WithPayload</c>. Scores are dot products summed in ascending index order
        /// (higher is better). A name no point carries, or an empty query, finds nothing.
        /// </summary>
        /// <param name="name">The sparse vectors' name.</param>
        /// <param name="query">The query vector.</param>
        /// <param name="options">K, Filter, WithPayload; null = the defaults (k 10).</param>
        /// <exception cref="QuiverException">InvalidArgument (a bad or empty name, k 0 or above
        /// 100000, an index twice, a value that is not finite, a bad filter), Closed, Io,
        /// OutOfMemory.</exception>
        public unsafe SearchHit[] SparseSearch(string name, SparseVector query, SparseSearchOptions options = null)
        {
            byte[] n = Utf8.Encode(name, nameof(name));
            options = options ?? new SparseSearchOptions();
            byte[] filter = options.FilterUtf8;
            int rc;
            IntPtr err;
            ResultsHandle h;
            fixed (uint* pi = query.Indices)
            fixed (float* pv = query.Values)
            fixed (byte* pn = n)
            fixed (byte* pf = filter)
            {
                var p = options.ToNative(pn, n.Length, pf, filter == null ? 0 : filter.Length);
                try
                {
                    rc = NativeMethods.qv_collection_sparse_search(Live, pi, pv, (UIntPtr)(uint)query.Count, &p, out h, out err);
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
    }
}
