using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace Quiver
{
    /// <summary>
    /// A handle to one collection of a <see cref="QuiverDatabase"/>
    /// (<c>qv_collection</c>): points with a <c>ulong</c> id, a float vector
    /// and an optional JSON payload. Every batch crosses into the library in
    /// one call.
    /// </summary>
    /// <remarks>
    /// Thread safety: every method may be called from any thread at once
    /// (searches, reads and writes alike; writes to one collection are
    /// serialised by the library, and searches never see half a batch).
    /// <see cref="Dispose"/> is safe while other threads are inside calls:
    /// those calls finish first, and every later call throws
    /// <see cref="QuiverException"/> with <see cref="QuiverStatus.Closed"/> -
    /// as do calls after the database was closed or the collection dropped.
    /// A handle keeps its database object alive.
    /// </remarks>
    public sealed partial class QuiverCollection : IDisposable
    {
        private readonly CollectionHandle handle;
        // The configuration last read from the library: its dimension, kind and
        // metric never change; PQ's parameters change with TrainQuantizer.
        private volatile CollectionConfig config;

        private QuiverCollection(QuiverDatabase database, string name, CollectionHandle handle, CollectionConfig config)
        {
            Database = database;
            Name = name;
            this.handle = handle;
            this.config = config;
        }

        internal static unsafe QuiverCollection FromNative(QuiverDatabase db, string name, int rc, CollectionHandle h, IntPtr err)
        {
            if (rc != 0)
            {
                h.Dispose();
                Errors.Check(rc, err);
            }
            try
            {
                return new QuiverCollection(db, name, h, new CollectionConfig(ReadConfig(h)));
            }
            catch
            {
                h.Dispose();
                throw;
            }
        }

        // The handle for a native call; throws QuiverException(Closed) after Dispose.
        private CollectionHandle Live
        {
            get
            {
                handle.ThrowIfDisposed("collection");
                return handle;
            }
        }

        /// <summary>The database this collection belongs to (kept alive by this handle).</summary>
        public QuiverDatabase Database { get; }

        /// <summary>The collection's name.</summary>
        public string Name { get; }

        /// <summary>Floats per vector (0 for a metadata-only collection).</summary>
        public int Dimension => config.Dimension;

        /// <summary>
        /// A copy of the collection's configuration, read from the library on each access
        /// (so it shows the PQ parameters <see cref="TrainQuantizer"/> set, through this
        /// handle or another).
        /// </summary>
        /// <exception cref="QuiverException">Closed.</exception>
        public CollectionConfig Config
        {
            get
            {
                NativeMethods.qv_collection_config c;
                try
                {
                    c = ReadConfig(Live);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
                config = new CollectionConfig(c);
                return new CollectionConfig(c);
            }
        }

        private static unsafe NativeMethods.qv_collection_config ReadConfig(CollectionHandle h)
        {
            NativeMethods.qv_collection_config c;
            int rc = NativeMethods.qv_collection_get_config(h, &c, out IntPtr err);
            Errors.Check(rc, err);
            return c;
        }

        /// <summary>The native <c>qv_collection *</c>, for interop with other P/Invoke code.</summary>
        public System.Runtime.InteropServices.SafeHandle Handle => handle;

        // ---- writes ----------------------------------------------------------------------

        /// <summary>
        /// Inserts or replaces points: <paramref name="ids"/>[i] gets the vector
        /// <paramref name="vectors"/>[i*Dimension .. (i+1)*Dimension] (row-major,
        /// null or empty for a metadata-only collection) and the JSON payload
        /// <paramref name="payloads"/>[i] (null = no payload; the whole array may
        /// be null). The batch is checked whole before anything is written and is
        /// durable when this returns; a repeated id: the last one wins. A payload is
        /// stored byte for byte: reads and searches return the same text.
        /// </summary>
        /// <exception cref="QuiverException">DimensionMismatch, InvalidArgument (non-finite
        /// value, zero vector under cosine, invalid JSON, payload count differs from id count),
        /// Closed, ReadOnly, Io.</exception>
        public void Upsert(ulong[] ids, float[] vectors, string[] payloads = null)
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
            UpsertCore(ids, vectors, vectors == null ? 0 : vectors.Length, offsets, data);
        }

        /// <summary>
        /// Inserts or replaces points with one vector per row of
        /// <paramref name="vectors"/> (copied into one contiguous buffer, then
        /// passed in one call). Otherwise as <see cref="Upsert(ulong[], float[], string[])"/>.
        /// </summary>
        public void Upsert(ulong[] ids, float[][] vectors, string[] payloads = null)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            Upsert(ids, Flatten(vectors, ids.Length, "vectors", "vector"), payloads);
        }

        /// <summary>Inserts or replaces one point.</summary>
        public void Upsert(ulong id, float[] vector, string payload = null) =>
            Upsert(new[] { id }, vector, payload == null ? null : new[] { payload });

        /// <summary>
        /// Inserts or replaces points whose payloads are UTF-8 JSON already:
        /// payload i is <paramref name="payloadData"/>[<paramref name="payloadOffsets"/>[i]
        /// .. <paramref name="payloadOffsets"/>[i+1]] (an empty range = no payload);
        /// <paramref name="payloadOffsets"/> holds ids.Length + 1 entries, or is null
        /// for no payloads. The C ABI's form, without any copy.
        /// </summary>
        public void Upsert(ulong[] ids, float[] vectors, ulong[] payloadOffsets, byte[] payloadData)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            if (payloadOffsets != null && payloadOffsets.Length != ids.Length + 1)
            {
                // The library reads n + 1 offsets: a shorter array would be read past its end.
                throw Errors.Invalid("payloadOffsets has " + payloadOffsets.Length + " entries, " + ids.Length + " ids need " + (ids.Length + 1));
            }
            UpsertCore(ids, vectors, vectors == null ? 0 : vectors.Length, payloadOffsets, payloadData);
        }

        private unsafe void UpsertCore(ulong[] ids, float[] vectors, int vectorsLen, ulong[] offsets, byte[] data)
        {
            int rc;
            IntPtr err;
            int dataLen = data == null ? 0 : data.Length;
            fixed (ulong* pi = ids)
            fixed (float* pv = vectors)
            fixed (ulong* po = offsets)
            fixed (byte* pd = data)
            {
                try
                {
                    rc = NativeMethods.qv_collection_upsert(Live, pi, (UIntPtr)(uint)ids.Length,
                        pv, (UIntPtr)(uint)vectorsLen, po, pd, (UIntPtr)(uint)dataLen, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        /// <summary>Deletes the points with these ids; ids that do not exist are ignored.</summary>
        /// <returns>How many of the ids existed.</returns>
        /// <exception cref="QuiverException">Closed, ReadOnly, Io.</exception>
        public unsafe long Delete(params ulong[] ids)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            int rc;
            IntPtr err;
            ulong deleted;
            fixed (ulong* pi = ids)
            {
                try
                {
                    rc = NativeMethods.qv_collection_delete(Live, pi, (UIntPtr)(uint)ids.Length, out deleted, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            return (long)deleted;
        }

        /// <summary>
        /// Makes everything written so far part of the on-disk checkpoint and
        /// empties the write-ahead log (also happens by itself, and on close).
        /// </summary>
        /// <exception cref="QuiverException">Closed, ReadOnly, Io.</exception>
        public void Checkpoint()
        {
            int rc;
            IntPtr err;
            try
            {
                rc = NativeMethods.qv_collection_checkpoint(Live, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            Errors.Check(rc, err);
        }

        // ---- payload operations and deletes by filter -----------------------------------

        /// <summary>
        /// Sets the keys of the JSON object <paramref name="json"/> in the payloads of
        /// the points with these ids (those that exist; the other keys stay, a point
        /// without payload gets these keys), leaving their vectors as they are. The
        /// payload is then rewritten with its keys in sorted order. One atomic,
        /// durable write; on any error nothing changes.
        /// </summary>
        /// <returns>How many of the ids exist (the points it applied to).</returns>
        /// <exception cref="QuiverException">InvalidArgument (<paramref name="json"/> not a
        /// JSON object), Closed, ReadOnly, OutOfMemory, Io.</exception>
        public long SetPayload(ulong[] ids, string json) =>
            UpdatePayloadCore(NativeMethods.PayloadSet, Ids(ids), null, Utf8.Encode(json, nameof(json)));

        /// <summary>
        /// <see cref="SetPayload(ulong[], string)"/> on the points matching
        /// <paramref name="filter"/> (JSON text, e.g. <c>Filter.Eq("lang", "fr").Json</c>;
        /// <c>{"and": []}</c> matches every point).
        /// </summary>
        /// <returns>How many points matched.</returns>
        /// <exception cref="QuiverException">InvalidArgument (also a bad or empty filter), Closed, ReadOnly, OutOfMemory, Io.</exception>
        public long SetPayload(string filter, string json) =>
            UpdatePayloadCore(NativeMethods.PayloadSet, null, SelectingFilter(filter, nameof(filter)), Utf8.Encode(json, nameof(json)));

        /// <summary><see cref="SetPayload(ulong[], string)"/> on the points matching <paramref name="filter"/>.</summary>
        /// <returns>How many points matched.</returns>
        public long SetPayload(Filter filter, string json) => SetPayload(FilterJson(filter), json);

        /// <summary>
        /// Replaces the payloads of the points with these ids (those that exist) with
        /// the JSON object <paramref name="json"/>, kept byte for byte (<c>null</c>
        /// clears them), leaving their vectors as they are. One atomic, durable write;
        /// on any error nothing changes.
        /// </summary>
        /// <returns>How many of the ids exist.</returns>
        /// <exception cref="QuiverException">InvalidArgument (not a JSON object), Closed, ReadOnly, OutOfMemory, Io.</exception>
        public long OverwritePayload(ulong[] ids, string json) =>
            UpdatePayloadCore(NativeMethods.PayloadOverwrite, Ids(ids), null, Utf8.Encode(json, nameof(json)));

        /// <summary><see cref="OverwritePayload(ulong[], string)"/> on the points matching <paramref name="filter"/> (JSON text).</summary>
        /// <returns>How many points matched.</returns>
        public long OverwritePayload(string filter, string json) =>
            UpdatePayloadCore(NativeMethods.PayloadOverwrite, null, SelectingFilter(filter, nameof(filter)), Utf8.Encode(json, nameof(json)));

        /// <summary><see cref="OverwritePayload(ulong[], string)"/> on the points matching <paramref name="filter"/>.</summary>
        /// <returns>How many points matched.</returns>
        public long OverwritePayload(Filter filter, string json) => OverwritePayload(FilterJson(filter), json);

        /// <summary>
        /// Removes the fields at these paths (dotted, <c>tags[].name</c> removes
        /// <c>name</c> from every element of <c>tags</c>; absent ones are ignored) from
        /// the payloads of the points with these ids, leaving their vectors as they
        /// are. One atomic, durable write; on any error nothing changes.
        /// </summary>
        /// <returns>How many of the ids exist.</returns>
        /// <exception cref="QuiverException">InvalidArgument (a bad path; the message names
        /// <c>keys[i]</c>), Closed, ReadOnly, OutOfMemory, Io.</exception>
        public long DeletePayloadKeys(ulong[] ids, params string[] keys) =>
            UpdatePayloadCore(NativeMethods.PayloadDeleteKeys, Ids(ids), null, KeysJson(keys));

        /// <summary><see cref="DeletePayloadKeys(ulong[], string[])"/> on the points matching <paramref name="filter"/> (JSON text).</summary>
        /// <returns>How many points matched.</returns>
        public long DeletePayloadKeys(string filter, params string[] keys) =>
            UpdatePayloadCore(NativeMethods.PayloadDeleteKeys, null, SelectingFilter(filter, nameof(filter)), KeysJson(keys));

        /// <summary><see cref="DeletePayloadKeys(ulong[], string[])"/> on the points matching <paramref name="filter"/>.</summary>
        /// <returns>How many points matched.</returns>
        public long DeletePayloadKeys(Filter filter, params string[] keys) => DeletePayloadKeys(FilterJson(filter), keys);

        /// <summary>
        /// Removes the payloads of the points with these ids (their vectors stay). One
        /// atomic, durable write.
        /// </summary>
        /// <returns>How many of the ids exist.</returns>
        /// <exception cref="QuiverException">Closed, ReadOnly, OutOfMemory, Io.</exception>
        public long ClearPayload(params ulong[] ids) =>
            UpdatePayloadCore(NativeMethods.PayloadClear, Ids(ids), null, null);

        /// <summary><see cref="ClearPayload(ulong[])"/> on the points matching <paramref name="filter"/> (JSON text).</summary>
        /// <returns>How many points matched.</returns>
        public long ClearPayload(string filter) =>
            UpdatePayloadCore(NativeMethods.PayloadClear, null, SelectingFilter(filter, nameof(filter)), null);

        /// <summary><see cref="ClearPayload(ulong[])"/> on the points matching <paramref name="filter"/>.</summary>
        /// <returns>How many points matched.</returns>
        public long ClearPayload(Filter filter) => ClearPayload(FilterJson(filter));

        /// <summary>
        /// Deletes every point matching <paramref name="filter"/> (JSON text, required).
        /// One atomic, durable write.
        /// </summary>
        /// <returns>How many points matched.</returns>
        /// <exception cref="QuiverException">InvalidArgument (a bad or empty filter), Closed, ReadOnly, Io.</exception>
        public unsafe long DeleteWhere(string filter)
        {
            byte[] f = Utf8.Encode(filter, nameof(filter));
            int rc;
            IntPtr err;
            ulong deleted;
            fixed (byte* pf = f)
            {
                try
                {
                    rc = NativeMethods.qv_collection_delete_where(Live, pf, (UIntPtr)(uint)f.Length, out deleted, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            return (long)deleted;
        }

        /// <summary>Deletes every point matching <paramref name="filter"/>.</summary>
        /// <returns>How many points matched.</returns>
        public long DeleteWhere(Filter filter) => DeleteWhere(FilterJson(filter));

        private unsafe long UpdatePayloadCore(uint op, ulong[] ids, byte[] filter, byte[] arg)
        {
            int rc;
            IntPtr err;
            ulong applied;
            fixed (ulong* pi = ids)
            fixed (byte* pf = filter)
            fixed (byte* pa = arg)
            {
                try
                {
                    rc = NativeMethods.qv_collection_update_payload(Live, op,
                        pi, (UIntPtr)(uint)(ids == null ? 0 : ids.Length),
                        pf, (UIntPtr)(uint)(filter == null ? 0 : filter.Length),
                        pa, (UIntPtr)(uint)(arg == null ? 0 : arg.Length), out applied, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            return (long)applied;
        }

        private static ulong[] Ids(ulong[] ids) => ids ?? throw new ArgumentNullException(nameof(ids));

        private static string FilterJson(Filter filter) =>
            (filter ?? throw new ArgumentNullException(nameof(filter))).Json;

        // The filter that selects the points of a payload update. The C call
        // takes an empty filter as "select by ids" (of which there are none
        // here): a silent no-op, so the binding refuses it.
        private static byte[] SelectingFilter(string filter, string paramName)
        {
            byte[] f = Utf8.Encode(filter, paramName);
            if (f.Length == 0)
            {
                throw Errors.Invalid("`" + paramName + "` is empty: a payload update by filter needs a filter ({\"and\": []} matches every point)");
            }
            return f;
        }

        // DELETE_KEYS' argument: a JSON array of the paths.
        private static byte[] KeysJson(string[] keys)
        {
            if (keys == null)
            {
                throw new ArgumentNullException(nameof(keys));
            }
            var quoted = new string[keys.Length];
            for (int i = 0; i < keys.Length; i++)
            {
                if (keys[i] == null)
                {
                    throw new ArgumentNullException(nameof(keys), "keys[" + i + "] is null");
                }
                quoted[i] = Filter.Quote(keys[i]);
            }
            return Utf8.Encode("[" + string.Join(", ", quoted) + "]", nameof(keys));
        }

        // ---- field indexes ---------------------------------------------------------------

        /// <summary>
        /// Creates an index of <paramref name="kind"/> on the payload field
        /// <paramref name="field"/> (a dotted path; an array field indexes each element)
        /// and builds it over every point before returning; searches and writes go on
        /// meanwhile. Durable when it returns; filters on the field use it from then on.
        /// </summary>
        /// <exception cref="QuiverException">AlreadyExists, InvalidArgument (bad path or
        /// kind), ReadOnly, Io, Corrupt, Closed.</exception>
        public unsafe void CreateFieldIndex(string field, FieldKind kind)
        {
            byte[] f = Utf8.Encode(field, nameof(field));
            int rc;
            IntPtr err;
            fixed (byte* pf = f)
            {
                try
                {
                    rc = NativeMethods.qv_collection_create_field_index(Live, pf, (UIntPtr)(uint)f.Length, (uint)kind, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        /// <summary>Drops the index on <paramref name="field"/> and removes its files.</summary>
        /// <exception cref="QuiverException">NotFound, InvalidArgument, ReadOnly, Io, Closed.</exception>
        public unsafe void DropFieldIndex(string field)
        {
            byte[] f = Utf8.Encode(field, nameof(field));
            int rc;
            IntPtr err;
            fixed (byte* pf = f)
            {
                try
                {
                    rc = NativeMethods.qv_collection_drop_field_index(Live, pf, (UIntPtr)(uint)f.Length, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        /// <summary>The collection's field indexes, in creation order.</summary>
        /// <exception cref="QuiverException">Closed.</exception>
        public unsafe IReadOnlyList<FieldIndexInfo> FieldIndexes()
        {
            FieldIndexesHandle list;
            IntPtr err;
            int rc;
            try
            {
                rc = NativeMethods.qv_collection_list_field_indexes(Live, out list, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            using (list)
            {
                Errors.Check(rc, err);
                int count = checked((int)(ulong)NativeMethods.qv_field_indexes_count(list));
                var result = new FieldIndexInfo[count];
                for (int i = 0; i < count; i++)
                {
                    NativeMethods.qv_field_index_view v;
                    rc = NativeMethods.qv_field_indexes_get(list, (UIntPtr)(uint)i, &v, out err);
                    Errors.Check(rc, err);
                    byte* s = (byte*)v.field;
                    ulong len = 0;
                    while (s[len] != 0) len++;
                    result[i] = new FieldIndexInfo(Utf8.Decode(s, len), (FieldKind)v.kind, v.ram_bytes, v.disk_bytes);
                }
                return result;
            }
        }

        /// <summary>
        /// Creates a full-text index on the payload field <paramref name="field"/> (a dotted
        /// path; its value is a string, or an array whose string elements are indexed) with
        /// the analyzer and BM25 parameters of <paramref name="options"/> (null = the
        /// library's defaults: words lowercased, no folding, no stop words, no stemming, k1
        /// 1.2, b 0.75), and builds it over every point before returning; searches and writes
        /// go on meanwhile. Durable when it returns (its options too). It serves
        /// <see cref="TextSearch"/> and the filter conditions <see cref="Filter.Text"/>,
        /// <see cref="Filter.TextAny"/> and <see cref="Filter.Phrase"/> on the field, and is
        /// listed by <see cref="FieldIndexes"/> as <see cref="FieldKind.Text"/>. A field may have
        /// one text index besides one value index.
        /// </summary>
        /// <exception cref="QuiverException">AlreadyExists (the field has a text index),
        /// InvalidArgument (bad path, k1 or b out of range; the message names
        /// <c>options.k1</c>, ...), ReadOnly, Io, Corrupt, Closed.</exception>
        public unsafe void CreateTextIndex(string field, TextIndexOptions options = null)
        {
            byte[] f = Utf8.Encode(field, nameof(field));
            NativeMethods.qv_text_index_options o = options == null ? default(NativeMethods.qv_text_index_options) : options.ToNative();
            int rc;
            IntPtr err;
            fixed (byte* pf = f)
            {
                try
                {
                    rc = NativeMethods.qv_collection_create_text_index(Live, pf, (UIntPtr)(uint)f.Length,
                        options == null ? null : &o, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        /// <summary>
        /// Drops the text index on <paramref name="field"/> and removes its files (a value
        /// index on the field stays; <see cref="DropFieldIndex"/> drops that one). Without
        /// the index, text conditions on the field are evaluated on the payloads.
        /// </summary>
        /// <exception cref="QuiverException">NotFound (no text index on the field),
        /// InvalidArgument, ReadOnly, Io, Closed.</exception>
        public unsafe void DropTextIndex(string field)
        {
            byte[] f = Utf8.Encode(field, nameof(field));
            int rc;
            IntPtr err;
            fixed (byte* pf = f)
            {
                try
                {
                    rc = NativeMethods.qv_collection_drop_text_index(Live, pf, (UIntPtr)(uint)f.Length, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        // ---- maintenance -----------------------------------------------------------------

        /// <summary>
        /// Seals the appendable segment, merges segments and reclaims the space of
        /// deleted and overwritten points; returns when that is committed. The
        /// background optimizer does the same work by itself: call this when it must
        /// be done now (before a benchmark or a backup). Searches go on meanwhile.
        /// </summary>
        /// <exception cref="QuiverException">Closed, ReadOnly, OutOfMemory, Io (nothing changed).</exception>
        public void Optimize()
        {
            int rc;
            IntPtr err;
            try
            {
                rc = NativeMethods.qv_collection_optimize(Live, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            Errors.Check(rc, err);
        }

        /// <summary>
        /// Retrains the quantizer of every sealed segment of a quantized collection and
        /// re-encodes their codes (<c>qv_collection_train_quantizer</c>); blocks until done.
        /// <paramref name="options"/> become the collection's parameters, also for the
        /// segments sealed later (persisted); null = retrain with the current ones (a new
        /// <see cref="TrainOptions"/> holds the library's defaults instead). Segments are
        /// trained when they are sealed anyway: call this to change PQ's parameters or to
        /// retrain on today's data. The appendable segment (searched exactly) is not
        /// affected; <see cref="Optimize"/> first seals it. Searches and writes go on
        /// meanwhile and see the old codes or the new ones.
        /// </summary>
        /// <param name="options">PQ's subspaces, centroids and k-means iterations (the other
        /// modes ignore them, but the library still checks their ranges); null = the
        /// collection's current parameters.</param>
        /// <param name="progress">Called with (steps done, total steps) as training steps
        /// finish: one per PQ subspace per sealed segment, one per segment in the other
        /// modes; return true to go on, false to cancel (the call then throws
        /// QuiverException with <see cref="QuiverStatus.Cancelled"/>, and nothing has
        /// changed). It runs on the thread that called this method (the library trains on
        /// its own threads meanwhile and hands each finished step to this one), one call at
        /// a time, done rising by one from 1, and is not called again once it returned false
        /// or threw, nor once the codes are being written. An exception it throws cancels the
        /// training and is rethrown from this method once the library has returned. It may
        /// search any collection, but must not train, optimize, close or drop this one, nor
        /// close its database (those wait for the training, which waits for the callback).
        /// Null = no progress reports.</param>
        /// <exception cref="QuiverException">Unsupported (an f32 collection: nothing to train),
        /// InvalidArgument (a parameter out of range; the message names it, e.g.
        /// <c>params.pq_subspaces</c>), Cancelled, Closed, ReadOnly, Io.</exception>
        public unsafe void TrainQuantizer(TrainOptions options = null, Func<ulong, ulong, bool> progress = null)
        {
            NativeMethods.qv_train_params p = options == null ? default(NativeMethods.qv_train_params) : options.ToNative();
            ProgressRelay relay = progress == null ? null : new ProgressRelay(progress);
            // The delegate the library calls back through: referenced until the call returns
            // (GC.KeepAlive), so that the collector cannot free its thunk while the library may
            // still call it.
            NativeMethods.qv_progress_fn callback = relay == null ? null : new NativeMethods.qv_progress_fn(relay.Invoke);
            IntPtr fn = callback == null ? IntPtr.Zero : Marshal.GetFunctionPointerForDelegate<NativeMethods.qv_progress_fn>(callback);
            int rc;
            IntPtr err;
            try
            {
                rc = NativeMethods.qv_collection_train_quantizer(Live, options == null ? null : &p, fn, IntPtr.Zero, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            finally
            {
                GC.KeepAlive(callback);
            }
            if (relay != null)
            {
                relay.RethrowIfFailed(err);
            }
            Errors.Check(rc, err);
        }

        // Runs the caller's progress callback for the library: on the caller's thread, but
        // inside the native call, so no exception may escape into its frames. The first
        // exception (or a false) stops it: it answers 0 from then on without calling the
        // callback again, and the exception is rethrown after the native call returned.
        private sealed class ProgressRelay
        {
            private readonly Func<ulong, ulong, bool> progress;
            private int stopped;
            private ExceptionDispatchInfo error;

            internal ProgressRelay(Func<ulong, ulong, bool> progress) => this.progress = progress;

            internal int Invoke(IntPtr userData, ulong done, ulong total)
            {
                if (Volatile.Read(ref stopped) != 0)
                {
                    return 0;
                }
                try
                {
                    if (progress(done, total))
                    {
                        return 1;
                    }
                }
                catch (Exception e)
                {
                    Volatile.Write(ref error, ExceptionDispatchInfo.Capture(e));
                }
                Volatile.Write(ref stopped, 1);
                return 0;
            }

            // The callback's exception wins over the status it caused (QV_ERR_CANCELLED).
            internal void RethrowIfFailed(IntPtr err)
            {
                ExceptionDispatchInfo e = Volatile.Read(ref error);
                if (e == null)
                {
                    return;
                }
                if (err != IntPtr.Zero)
                {
                    NativeMethods.qv_error_free(err);
                }
                e.Throw();
            }
        }

        /// <summary>
        /// Blocks until the background optimizer has no work left for the collection
        /// (as long as writes keep it busy; <see cref="Dispose"/> takes effect after it
        /// returns). The outcome of the background runs is in <see cref="Stats"/>
        /// (<see cref="CollectionStats.OptimizerState"/>, <see cref="CollectionStats.OptimizerRuns"/>,
        /// <see cref="CollectionStats.OptimizerError"/>).
        /// </summary>
        /// <exception cref="QuiverException">Closed.</exception>
        public void WaitOptimized()
        {
            int rc;
            IntPtr err;
            try
            {
                rc = NativeMethods.qv_collection_wait_optimized(Live, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            Errors.Check(rc, err);
        }

        /// <summary>
        /// Reads every block of every file of the collection and checks it; returns
        /// when all is well.
        /// </summary>
        /// <exception cref="QuiverException">Corrupt (the message names the file and the
        /// offset), Closed, Io.</exception>
        public void Verify()
        {
            int rc;
            IntPtr err;
            try
            {
                rc = NativeMethods.qv_collection_verify(Live, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            Errors.Check(rc, err);
        }

        /// <summary>
        /// The collection's statistics: points, segments, bytes on disk and in RAM per
        /// component, the optimizer's state, repairs made on open and the cause of a
        /// read-only state, copied out of the library in one call. A read-only
        /// collection still reports its stats.
        /// </summary>
        /// <exception cref="QuiverException">Closed, OutOfMemory, Io.</exception>
        public unsafe CollectionStats Stats()
        {
            int rc;
            IntPtr err;
            StatsHandle h;
            try
            {
                rc = NativeMethods.qv_collection_stats(Live, out h, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            using (h)
            {
                Errors.Check(rc, err);
                NativeMethods.qv_stats_view v;
                rc = NativeMethods.qv_stats_get_view(h, &v, out err);
                Errors.Check(rc, err);
                return new CollectionStats(&v); // copies everything before the qv_stats is freed
            }
        }

        // ---- reads -----------------------------------------------------------------------

        /// <summary>The number of points.</summary>
        /// <exception cref="QuiverException">Closed.</exception>
        public long Count()
        {
            int rc;
            IntPtr err;
            ulong n;
            try
            {
                rc = NativeMethods.qv_collection_count(Live, out n, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            Errors.Check(rc, err);
            return (long)n;
        }

        /// <summary>
        /// The number of points matching <paramref name="filter"/> (JSON text; null or
        /// empty = all points), exactly, answered by the field indexes where they can.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument (a bad filter), Closed.</exception>
        public unsafe long CountWhere(string filter)
        {
            byte[] f = Utf8.EncodeOptional(filter, nameof(filter));
            int rc;
            IntPtr err;
            ulong n;
            fixed (byte* pf = f)
            {
                try
                {
                    rc = NativeMethods.qv_collection_count_where(Live, pf, (UIntPtr)(uint)(f == null ? 0 : f.Length), out n, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            return (long)n;
        }

        /// <summary>The number of points matching <paramref name="filter"/>, exactly.</summary>
        public long CountWhere(Filter filter) => CountWhere(FilterJson(filter));

        /// <summary>
        /// Reads the points with these ids in one call. The result refers to
        /// library memory without copying; dispose it when done.
        /// </summary>
        /// <exception cref="QuiverException">Closed, OutOfMemory.</exception>
        public unsafe PointBatch Get(params ulong[] ids)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            int rc;
            IntPtr err;
            PointsHandle h;
            fixed (ulong* pi = ids)
            {
                try
                {
                    rc = NativeMethods.qv_collection_get(Live, pi, (UIntPtr)(uint)ids.Length, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            return PointBatch.FromNative(rc, h, err);
        }

        /// <summary>The point with id <paramref name="id"/>, or null when there is none.</summary>
        public QuiverPoint Get(ulong id)
        {
            using (var batch = Get(new[] { id }))
            {
                return batch.IsFound(0) ? batch.GetPoint(0) : null;
            }
        }

        /// <summary>
        /// One page of ids in ascending order, starting at id <paramref name="from"/>
        /// (inclusive), at most <paramref name="limit"/> of them, of the points
        /// matching <paramref name="filter"/> (JSON text; null = all). Pass
        /// <see cref="ScrollPage.Next"/> as <paramref name="from"/> while
        /// <see cref="ScrollPage.HasNext"/>.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument (limit 0, bad filter), Closed.</exception>
        public ScrollPage Scroll(ulong from = 0, int limit = 1000, string filter = null)
        {
            if (limit < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must not be negative");
            }
            var buffer = new ulong[limit];
            int n = Scroll(from, filter, buffer, out ulong next, out bool hasNext);
            if (n != buffer.Length)
            {
                Array.Resize(ref buffer, n);
            }
            return new ScrollPage(buffer, hasNext, next);
        }

        /// <summary>
        /// One page of ids written into <paramref name="ids"/> (its length is the
        /// page size); returns how many were written. Allocation-free form of
        /// <see cref="Scroll(ulong, int, string)"/>.
        /// </summary>
        public unsafe int Scroll(ulong from, string filter, ulong[] ids, out ulong next, out bool hasNext)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            byte[] f = Utf8.EncodeOptional(filter, nameof(filter));
            int rc;
            IntPtr err;
            UIntPtr count;
            byte more;
            fixed (byte* pf = f)
            fixed (ulong* pi = ids)
            {
                try
                {
                    rc = NativeMethods.qv_collection_scroll(Live, from, pf, (UIntPtr)(uint)(f == null ? 0 : f.Length),
                        pi, (UIntPtr)(uint)ids.Length, out count, out next, out more, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            hasNext = more != 0;
            return (int)(ulong)count;
        }

        /// <summary>
        /// All ids (matching <paramref name="filter"/>, JSON text; null = all) in
        /// ascending order, fetched lazily <paramref name="pageSize"/> at a time.
        /// </summary>
        public IEnumerable<ulong> ScrollIds(string filter = null, int pageSize = 1000)
        {
            if (pageSize < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(pageSize), pageSize, "pageSize must be at least 1");
            }
            return ScrollIdsIterator(filter, pageSize);
        }

        private IEnumerable<ulong> ScrollIdsIterator(string filter, int pageSize)
        {
            var buffer = new ulong[pageSize];
            ulong from = 0;
            while (true)
            {
                int n = Scroll(from, filter, buffer, out ulong next, out bool hasNext);
                for (int i = 0; i < n; i++)
                {
                    yield return buffer[i];
                }
                if (!hasNext)
                {
                    yield break;
                }
                from = next;
            }
        }

        /// <summary>
        /// One page of points (ids, payloads, vectors as <paramref name="options"/> ask;
        /// null = the defaults: the first 100 points by id, with payloads): those
        /// matching <c>options.Filter</c>, by ascending id or ordered by
        /// <c>options.OrderBy</c>, from <c>options.Cursor</c> on. For the next page, set
        /// <see cref="ScrollOptions.Cursor"/> to <see cref="PointsPage.NextCursor"/>
        /// while it is not null, the options otherwise unchanged. Each page is read at
        /// once: a point that exists and keeps its sort value during the whole scroll
        /// comes exactly once, whatever is written meanwhile.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument (limit 0, a bad filter, an
        /// <c>OrderBy</c> field without an integer, float or datetime index, a cursor no
        /// scroll of this kind returned), Closed, OutOfMemory.</exception>
        public PointsPage ScrollPoints(ScrollOptions options = null)
        {
            ScrollOptions o = options ?? new ScrollOptions();
            return ScrollPointsCore(o, o.CursorUtf8);
        }

        /// <summary>
        /// Every point <see cref="ScrollPoints"/> reaches with <paramref name="options"/>
        /// (from <c>options.Cursor</c> on), fetched lazily a page
        /// (<c>options.Limit</c> points) at a time. The options are copied when this is
        /// called: later changes to them do not affect the iteration.
        /// </summary>
        public IEnumerable<QuiverPoint> ScrollAllPoints(ScrollOptions options = null)
        {
            ScrollOptions o = options == null ? new ScrollOptions() : options.Clone();
            return ScrollAllPointsIterator(o);
        }

        private IEnumerable<QuiverPoint> ScrollAllPointsIterator(ScrollOptions o)
        {
            byte[] cursor = o.CursorUtf8;
            while (true)
            {
                PointsPage page = ScrollPointsCore(o, cursor);
                foreach (var p in page.Points)
                {
                    yield return p;
                }
                if (page.NextCursor == null)
                {
                    yield break;
                }
                cursor = Utf8.Encode(page.NextCursor, "cursor");
            }
        }

        private unsafe PointsPage ScrollPointsCore(ScrollOptions o, byte[] cursor)
        {
            byte[] filter = o.FilterUtf8;
            byte[] orderBy = o.OrderByUtf8;
            int rc;
            IntPtr err;
            PointsHandle h;
            fixed (byte* pf = filter)
            fixed (byte* po = orderBy)
            fixed (byte* pc = cursor)
            {
                var p = o.ToNative(pf, filter == null ? 0 : filter.Length, po, orderBy == null ? 0 : orderBy.Length,
                    pc, cursor == null ? 0 : cursor.Length);
                try
                {
                    rc = NativeMethods.qv_collection_scroll_points(Live, &p, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            using (var batch = PointBatch.FromNative(rc, h, err))
            {
                return new PointsPage(batch.ToPoints(o.WithVectors), batch.NextCursor());
            }
        }

        // ---- search ----------------------------------------------------------------------

        /// <summary>
        /// The <c>options.K</c> nearest points to <paramref name="query"/>, best first
        /// (with payloads when <c>options.WithPayload</c>).
        /// </summary>
        /// <exception cref="QuiverException">DimensionMismatch, InvalidArgument (k = 0,
        /// non-finite value, bad filter), Unsupported (metadata-only collection), Closed.</exception>
        public SearchHit[] Search(float[] query, SearchOptions options = null)
        {
            if (query == null)
            {
                throw new ArgumentNullException(nameof(query));
            }
            // The owned-results form: the library allocates exactly the hits
            // found, whatever k asks for.
            using (var results = SearchResultsCore(query, 1, query.Length, options ?? new SearchOptions()))
            {
                return results.GetHits(0);
            }
        }

        /// <summary>
        /// BM25 full-text search of <paramref name="query"/> over <c>p.Fields</c> (each with a
        /// text index, which analyzes the query as it analyzes its text): the best
        /// <c>p.K</c> points matching <c>p.Mode</c> and <c>p.Filter</c>, best first (equal
        /// scores by ascending id), with payloads when <c>p.WithPayload</c>. A point scores the
        /// sum over the fields of boost × BM25 (Lucene's, with each index's k1 and b), with
        /// statistics over the collection's live points; higher is better. A query without
        /// terms finds nothing.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument (no field, a field without a text
        /// index or named twice, a negative or non-finite boost, k 0 or above 100000, bad mode,
        /// bad filter), Closed, Io, OutOfMemory.</exception>
        public unsafe SearchHit[] TextSearch(string query, TextSearchParams p)
        {
            byte[] q = Utf8.Encode(query, nameof(query));
            if (p == null)
            {
                throw new ArgumentNullException(nameof(p));
            }
            // The field names in one UTF-8 buffer and the qv_text_field array that points into
            // it, both pinned (fixed) for the duration of the call.
            TextField[] given = p.Fields.ToArray();
            int n = given.Length;
            var names = new string[n];
            for (int i = 0; i < n; i++)
            {
                names[i] = given[i].Name ?? throw new ArgumentNullException(nameof(p), "p.Fields[" + i + "] has no name");
            }
            byte[] data = Utf8.EncodeBatch(names, out ulong[] offsets, "p.Fields");
            var fields = new NativeMethods.qv_text_field[n];
            byte[] filter = p.FilterUtf8;
            int rc;
            IntPtr err;
            ResultsHandle h;
            fixed (byte* pq = q)
            fixed (byte* pd = data)
            fixed (NativeMethods.qv_text_field* pfs = fields)
            fixed (byte* pf = filter)
            {
                for (int i = 0; i < n; i++)
                {
                    ulong len = offsets[i + 1] - offsets[i];
                    fields[i].name = len == 0 ? null : pd + offsets[i];
                    fields[i].name_len = len;
                    fields[i].boost = given[i].Boost;
                }
                var tp = p.ToNative(pfs, n, pf, filter == null ? 0 : filter.Length);
                try
                {
                    rc = NativeMethods.qv_collection_text_search(Live, pq, (UIntPtr)(uint)q.Length, &tp, out h, out err);
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
        /// Runs one search like <see cref="Search"/> and says how the planner searched
        /// each segment: the plan it chose ("graph", "scan-candidates", ...), its
        /// estimated cost and the candidate counts (<c>qv_collection_explain</c>).
        /// <see cref="SearchExplanation.Json"/> is the library's document as it came.
        /// </summary>
        /// <exception cref="QuiverException">As <see cref="Search"/>.</exception>
        public unsafe SearchExplanation Explain(float[] query, SearchOptions options = null)
        {
            if (query == null)
            {
                throw new ArgumentNullException(nameof(query));
            }
            options = options ?? new SearchOptions();
            byte[] filter = options.FilterUtf8;
            int rc;
            IntPtr err;
            StringsHandle list;
            fixed (float* pq = query)
            fixed (byte* pf = filter)
            {
                var p = options.ToNative(pf, filter == null ? 0 : filter.Length);
                try
                {
                    rc = NativeMethods.qv_collection_explain(Live, pq, (UIntPtr)(uint)query.Length, &p, out list, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            string json;
            using (list)
            {
                Errors.Check(rc, err);
                ulong n = (ulong)NativeMethods.qv_strings_count(list);
                if (n != 1)
                {
                    throw new QuiverException(QuiverStatus.Internal, "internal: qv_collection_explain returned " + n + " strings, not 1");
                }
                IntPtr s;
                UIntPtr len;
                rc = NativeMethods.qv_strings_get(list, UIntPtr.Zero, out s, out len, out err);
                Errors.Check(rc, err);
                json = Utf8.Decode((byte*)s, (ulong)len);
            }
            return SearchExplanation.Parse(json);
        }

        /// <summary>
        /// Searches many queries in one call (they run in parallel in the
        /// library): <paramref name="queries"/> holds them row-major,
        /// Dimension floats each. The results refer to library memory without
        /// copying; dispose them when done.
        /// </summary>
        /// <exception cref="QuiverException">As <see cref="Search"/>; DimensionMismatch also
        /// when the length of <paramref name="queries"/> is not a multiple of Dimension.</exception>
        public SearchResults SearchBatch(float[] queries, SearchOptions options = null)
        {
            int nq = QueryCount(queries, out int dim);
            return SearchResultsCore(queries, nq, dim, options ?? new SearchOptions());
        }

        /// <summary>Searches one query per row of <paramref name="queries"/> in one call (rows copied into one buffer).</summary>
        public SearchResults SearchBatch(float[][] queries, SearchOptions options = null)
        {
            if (queries == null)
            {
                throw new ArgumentNullException(nameof(queries));
            }
            int dim = queries.Length > 0 && queries[0] != null ? queries[0].Length : 0;
            float[] flat = Flatten(queries, queries.Length, "queries", "query", dim);
            return SearchResultsCore(flat, queries.Length, dim, options ?? new SearchOptions());
        }

        /// <summary>
        /// Searches many queries in one call and writes the hits into caller
        /// arrays, allocating nothing: the hits of query i are at
        /// [i*K, i*K + counts[i]) of <paramref name="ids"/> and
        /// <paramref name="scores"/> (each at least nq*K long), best first;
        /// unused slots hold ulong.MaxValue / NaN. No payloads in this form.
        /// </summary>
        /// <returns>The number of queries, nq.</returns>
        public int SearchBatchInto(float[] queries, SearchOptions options, ulong[] ids, float[] scores, int[] counts)
        {
            int nq = QueryCount(queries, out int dim);
            SearchIntoCore(queries, nq, dim, options ?? new SearchOptions(), ids, scores, counts);
            return nq;
        }

        private int QueryCount(float[] queries, out int dim)
        {
            if (queries == null)
            {
                throw new ArgumentNullException(nameof(queries));
            }
            dim = config.Dimension;
            if (dim == 0)
            {
                // Metadata-only: let the library report what it does with a search.
                dim = queries.Length;
                return 1;
            }
            if (queries.Length % dim != 0)
            {
                throw new QuiverException(QuiverStatus.DimensionMismatch,
                    "dimension mismatch: queries hold " + queries.Length + " floats, not a multiple of the collection's dimension " + dim);
            }
            return queries.Length / dim;
        }

        private unsafe SearchResults SearchResultsCore(float[] queries, int nq, int dim, SearchOptions options)
        {
            byte[] filter = options.FilterUtf8;
            int rc;
            IntPtr err;
            ResultsHandle h;
            fixed (float* pq = queries)
            fixed (byte* pf = filter)
            {
                var p = options.ToNative(pf, filter == null ? 0 : filter.Length);
                try
                {
                    rc = NativeMethods.qv_collection_search_results(Live, pq, (UIntPtr)(uint)nq, (UIntPtr)(uint)dim, &p, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            return SearchResults.FromNative(rc, h, err);
        }

        private unsafe void SearchIntoCore(float[] queries, int nq, int dim, SearchOptions options, ulong[] ids, float[] scores, int[] counts)
        {
            if (ids == null)
            {
                throw new ArgumentNullException(nameof(ids));
            }
            if (scores == null)
            {
                throw new ArgumentNullException(nameof(scores));
            }
            if (counts == null)
            {
                throw new ArgumentNullException(nameof(counts));
            }
            if (counts.Length < nq)
            {
                // The library writes nq counts: a shorter array would be written past its end.
                throw Errors.Invalid("counts has " + counts.Length + " entries, " + nq + " queries need " + nq);
            }
            byte[] filter = options.FilterUtf8;
            int outLen = Math.Min(ids.Length, scores.Length);
            int rc;
            IntPtr err;
            fixed (float* pq = queries)
            fixed (byte* pf = filter)
            fixed (ulong* pi = ids)
            fixed (float* ps = scores)
            fixed (int* pc = counts)
            {
                var p = options.ToNative(pf, filter == null ? 0 : filter.Length);
                try
                {
                    rc = NativeMethods.qv_collection_search(Live, pq, (UIntPtr)(uint)nq, (UIntPtr)(uint)dim, &p,
                        pi, ps, (UIntPtr)(uint)outLen, (uint*)pc, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        // Rows of a jagged array into one row-major buffer; every row must have
        // `dim` floats (default: the collection's dimension) so that the rows
        // cannot shift into each other.
        private float[] Flatten(float[][] rows, int expectedRows, string paramName, string what, int dim = -1)
        {
            if (rows == null)
            {
                return null;
            }
            if (rows.Length != expectedRows)
            {
                throw Errors.Invalid(rows.Length + " " + what + "s for " + expectedRows + " ids");
            }
            if (dim < 0)
            {
                dim = config.Dimension;
            }
            var flat = new float[(long)rows.Length * dim];
            for (int i = 0; i < rows.Length; i++)
            {
                float[] row = rows[i];
                if (row == null)
                {
                    throw new ArgumentNullException(paramName, paramName + "[" + i + "] is null");
                }
                if (row.Length != dim)
                {
                    throw new QuiverException(QuiverStatus.DimensionMismatch,
                        "dimension mismatch: " + what + " " + i + " has " + row.Length + " floats, expected " + dim);
                }
                Array.Copy(row, 0, flat, (long)i * dim, dim);
            }
            return flat;
        }

        /// <summary>
        /// Releases the handle (other handles to the collection are not affected).
        /// Safe while other threads are inside calls: it takes effect when the last
        /// of them returns; later calls throw QuiverException(Closed).
        /// </summary>
        public void Dispose() => handle.Dispose();

        /// <summary>For diagnostics.</summary>
        public override string ToString() => "QuiverCollection(" + Name + ", " + config + ")";
    }
}
