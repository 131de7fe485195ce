using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Quiver
{
    // Edges between points and traversals: qv_collection_add_edges, _remove_edges, _get_edges,
    // _find_edges, _degree, _count_edges, the label schema, _traverse, _search_expand,
    // _traverse_ranked and _shortest_path.
    //
    // Every owned native result (qv_edges, qv_traversal, qv_path, qv_strings) is copied into
    // managed objects and freed before the method returns, on success and on error alike
    // (a SafeHandle in a using block), so nothing the caller gets refers to native memory and
    // nothing needs disposing.
    public sealed partial class QuiverCollection
    {
        // ---- edges ---------------------------------------------------------------------------

        /// <summary>
        /// Adds <paramref name="edges"/>, or replaces the edges with their ids, in one native call.
        /// The batch is checked whole first (labels, weights, properties, that every source and
        /// target is a point of the collection, the label schema if one is set); on any error
        /// nothing is written. The last edge of the batch with a given id wins. Atomic and durable
        /// when this returns.
        /// </summary>
        /// <exception cref="ArgumentNullException"><paramref name="edges"/> or one of its entries is null.</exception>
        /// <exception cref="QuiverException">InvalidArgument (a label empty, over 256 bytes or with
        /// a control character, a weight negative or not finite, properties that are not a JSON
        /// object or over 1 MiB, an edge the schema refuses; the message names the edge as
        /// <c>edges[i] (id N)</c>), NotFound (a source or target is not a point of the collection),
        /// Closed, ReadOnly, Io.</exception>
        public unsafe void AddEdges(IReadOnlyList<Edge> edges)
        {
            if (edges == null)
            {
                throw new ArgumentNullException(nameof(edges));
            }
            int n = edges.Count;
            // Labels and properties in one UTF-8 buffer: item 2i is edge i's label, 2i + 1 its
            // properties (an empty range = none).
            var texts = new string[2 * n];
            for (int i = 0; i < n; i++)
            {
                Edge e = edges[i] ?? throw new ArgumentNullException(nameof(edges), "edges[" + i + "] is null");
                texts[2 * i] = e.Label;
                texts[2 * i + 1] = e.Properties;
            }
            byte[] data = Utf8.EncodeBatch(texts, out ulong[] offsets, nameof(edges));
            var structs = new NativeMethods.qv_edge[n];
            int rc;
            IntPtr err;
            fixed (byte* pd = data)
            fixed (NativeMethods.qv_edge* pe = structs)
            {
                for (int i = 0; i < n; i++)
                {
                    Edge e = edges[i];
                    NativeMethods.qv_edge_init(pe + i);
                    pe[i].id = e.Id;
                    pe[i].source = e.Source;
                    pe[i].target = e.Target;
                    pe[i].weight = e.Weight;
                    ulong a = offsets[2 * i], b = offsets[2 * i + 1], c = offsets[2 * i + 2];
                    pe[i].label = b > a ? pd + a : null;
                    pe[i].label_len = b - a;
                    pe[i].properties_json = c > b ? pd + b : null;
                    pe[i].properties_len = c - b;
                }
                try
                {
                    rc = NativeMethods.qv_collection_add_edges(Live, pe, (UIntPtr)(uint)n, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        /// <summary>As <see cref="AddEdges(IReadOnlyList{Edge})"/>.</summary>
        public void AddEdges(params Edge[] edges) => AddEdges((IReadOnlyList<Edge>)edges);

        /// <summary>Adds (or replaces) one edge; as <see cref="AddEdges(IReadOnlyList{Edge})"/>.</summary>
        public void AddEdge(ulong id, ulong source, ulong target, string label, float weight = 1f, string properties = null) =>
            AddEdges(new[] { new Edge(id, source, target, label, weight, properties) });

        /// <summary>
        /// Removes the edges with the ids <paramref name="ids"/> (ids without an edge are
        /// ignored). Durable when this returns.
        /// </summary>
        /// <returns>How many of the edges existed (a repeated id counts once).</returns>
        /// <exception cref="QuiverException">Closed, ReadOnly, Io.</exception>
        public unsafe long RemoveEdges(params ulong[] ids)
        {
            Ids(ids);
            int rc;
            IntPtr err;
            ulong removed;
            fixed (ulong* pi = ids)
            {
                try
                {
                    rc = NativeMethods.qv_collection_remove_edges(Live, pi, (UIntPtr)(uint)ids.Length, out removed, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            return (long)removed;
        }

        /// <summary>
        /// The edges with the ids <paramref name="ids"/> that exist, in the order of
        /// <paramref name="ids"/> (an id without an edge is left out: compare <see cref="Edge.Id"/>).
        /// </summary>
        /// <exception cref="QuiverException">Closed, OutOfMemory.</exception>
        public unsafe Edge[] GetEdges(params ulong[] ids)
        {
            Ids(ids);
            int rc;
            IntPtr err;
            EdgesHandle h;
            fixed (ulong* pi = ids)
            {
                try
                {
                    rc = NativeMethods.qv_collection_get_edges(Live, pi, (UIntPtr)(uint)ids.Length, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            return CopyEdges(rc, h, err);
        }

        /// <summary>The edge with id <paramref name="id"/>, or null when there is none.</summary>
        public Edge GetEdge(ulong id)
        {
            Edge[] found = GetEdges(id);
            return found.Length == 0 ? null : found[0];
        }

        /// <summary>
        /// The edges leaving <paramref name="source"/> (when not null) and reaching
        /// <paramref name="target"/> (when not null), labelled <paramref name="label"/> (when not
        /// null or empty), by ascending edge id. With neither a source nor a target, every edge
        /// (of the label), which reads them all.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument, Closed, OutOfMemory.</exception>
        public unsafe Edge[] FindEdges(ulong? source = null, ulong? target = null, string label = null)
        {
            byte[] l = Utf8.EncodeOptional(label, nameof(label));
            ulong s = source.GetValueOrDefault(), t = target.GetValueOrDefault();
            int rc;
            IntPtr err;
            EdgesHandle h;
            fixed (byte* pl = l)
            {
                try
                {
                    rc = NativeMethods.qv_collection_find_edges(Live, source.HasValue ? &s : null, target.HasValue ? &t : null,
                        pl, (UIntPtr)(uint)(l == null ? 0 : l.Length), out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            return CopyEdges(rc, h, err);
        }

        // The edges of a qv_edges, copied out; the list is freed before this returns.
        private static unsafe Edge[] CopyEdges(int rc, EdgesHandle h, IntPtr err)
        {
            using (h)
            {
                Errors.Check(rc, err);
                int count = checked((int)(ulong)NativeMethods.qv_edges_count(h));
                var result = new Edge[count];
                for (int i = 0; i < count; i++)
                {
                    NativeMethods.qv_edge e;
                    rc = NativeMethods.qv_edges_get(h, (UIntPtr)(uint)i, &e, out err);
                    Errors.Check(rc, err);
                    string props = e.properties_json == null ? null : Utf8.Decode(e.properties_json, e.properties_len);
                    result[i] = new Edge(e.id, e.source, e.target, Utf8.Decode(e.label, e.label_len), e.weight, props);
                }
                return result;
            }
        }

        /// <summary>
        /// The number of edges reaching and leaving <paramref name="point"/> (labelled
        /// <paramref name="label"/>, when not null or empty); an edge from the point to itself
        /// counts in both. A point without edges, or not in the collection, has 0 and 0.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument, Closed.</exception>
        public unsafe PointDegree Degree(ulong point, string label = null)
        {
            byte[] l = Utf8.EncodeOptional(label, nameof(label));
            int rc;
            IntPtr err;
            ulong din, dout;
            fixed (byte* pl = l)
            {
                try
                {
                    rc = NativeMethods.qv_collection_degree(Live, point, pl, (UIntPtr)(uint)(l == null ? 0 : l.Length),
                        out din, out dout, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
            return new PointDegree((long)din, (long)dout);
        }

        /// <summary>The number of edges of the collection.</summary>
        /// <exception cref="QuiverException">Closed.</exception>
        public long CountEdges()
        {
            int rc;
            IntPtr err;
            ulong count;
            try
            {
                rc = NativeMethods.qv_collection_count_edges(Live, out count, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            Errors.Check(rc, err);
            return (long)count;
        }

        // ---- the label schema ------------------------------------------------------------------

        /// <summary>
        /// Sets the label schema of the collection's edges, JSON of the form
        /// <c>{"labels": {"LABEL": {"source": FILTER, "target": FILTER}, ...}}</c> (each filter
        /// optional, in the filter language): from then on only the labels listed are allowed,
        /// and an edge's source and target payloads must match its label's filters. Null or
        /// empty removes the schema. Every existing edge must follow the new schema, or this
        /// fails naming one that does not and changes nothing. Durable when this returns.
        /// </summary>
        /// <exception cref="QuiverException">InvalidArgument (bad JSON, a bad label or filter, an
        /// existing edge the schema refuses), Closed, ReadOnly, Io.</exception>
        public unsafe void SetGraphSchema(string json)
        {
            byte[] s = Utf8.EncodeOptional(json, nameof(json));
            int rc;
            IntPtr err;
            fixed (byte* ps = s)
            {
                try
                {
                    rc = NativeMethods.qv_collection_set_graph_schema(Live, ps, (UIntPtr)(uint)(s == null ? 0 : s.Length), out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            Errors.Check(rc, err);
        }

        /// <summary>Removes the label schema (as <c>SetGraphSchema(null)</c>).</summary>
        public void RemoveGraphSchema() => SetGraphSchema(null);

        /// <summary>
        /// The label schema as JSON text, in the form <see cref="SetGraphSchema"/> takes (written
        /// by the library: the same schema, not necessarily the same text), or null when there is none.
        /// </summary>
        /// <exception cref="QuiverException">Closed.</exception>
        public unsafe string GetGraphSchema()
        {
            int rc;
            IntPtr err;
            StringsHandle list;
            try
            {
                rc = NativeMethods.qv_collection_get_graph_schema(Live, out list, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("collection");
            }
            using (list)
            {
                Errors.Check(rc, err);
                if ((ulong)NativeMethods.qv_strings_count(list) == 0)
                {
                    return null;
                }
                rc = NativeMethods.qv_strings_get(list, UIntPtr.Zero, out IntPtr str, out UIntPtr len, out err);
                Errors.Check(rc, err);
                return Utf8.Decode((byte*)str, (ulong)len);
            }
        }

        // ---- traversals ----------------------------------------------------------------------

        /// <summary>
        /// Walks the edges from <paramref name="starts"/> (points of the collection) as
        /// <paramref name="options"/> says and returns the points reached in the walk's order,
        /// each once, with its depth, start point and path. Neighbours are visited by ascending
        /// edge id. Breadth first gives each point its least depth (the starts walked level by
        /// level together); depth first, the depth at which the walk first reached it (the
        /// starts one after another).
        /// </summary>
        /// <returns>The visits, copied out of the native <c>qv_traversal</c>, which is freed
        /// before this returns: a fully materialised list, nothing to dispose.</returns>
        /// <exception cref="QuiverException">InvalidArgument (depths, limit, order, direction,
        /// labels, hop labels, filter), NotFound (a start is not a point of the collection; the
        /// message names <c>starts[i]</c>), Closed, OutOfMemory.</exception>
        public unsafe IReadOnlyList<Visit> Traverse(ulong[] starts, TraverseOptions options = null)
        {
            Ids(starts);
            options = options ?? new TraverseOptions();
            var pins = new List<GCHandle>();
            int rc;
            IntPtr err;
            TraversalHandle h;
            try
            {
                NativeMethods.qv_traverse_params p = TraverseParams(options, pins);
                fixed (ulong* ps = starts)
                {
                    try
                    {
                        rc = NativeMethods.qv_collection_traverse(Live, ps, (UIntPtr)(uint)starts.Length, &p, out h, out err);
                    }
                    catch (ObjectDisposedException)
                    {
                        throw Errors.Disposed("collection");
                    }
                }
            }
            finally
            {
                Unpin(pins);
            }
            return CopyVisits(rc, h, err);
        }

        /// <summary>A traversal from one point; as <see cref="Traverse(ulong[], TraverseOptions)"/>.</summary>
        public IReadOnlyList<Visit> Traverse(ulong start, TraverseOptions options = null) =>
            Traverse(new[] { start }, options);

        /// <summary>
        /// A vector search (<paramref name="query"/>, <c>search.K</c> hits, as
        /// <see cref="Search"/>; payloads are never returned) whose hits are then walked from as
        /// <paramref name="traverse"/> says, as one multi-start traversal from the hits, best hit
        /// first: the hits themselves (depth 0, when <c>traverse.MinDepth</c> is 0) and the
        /// points reached, each once, in walk order. Every visit's <see cref="Visit.Score"/> is
        /// the score of the hit it was reached from (its <see cref="Visit.Origin"/>).
        /// </summary>
        /// <returns>The visits, copied out (the native traversal is freed before this returns).</returns>
        /// <exception cref="QuiverException">InvalidArgument (as <see cref="Search"/> and
        /// <see cref="Traverse(ulong[], TraverseOptions)"/>), DimensionMismatch, Unsupported,
        /// Closed, Io, OutOfMemory.</exception>
        public unsafe IReadOnlyList<Visit> SearchExpand(float[] query, SearchOptions search = null, TraverseOptions traverse = null)
        {
            if (query == null)
            {
                throw new ArgumentNullException(nameof(query));
            }
            search = search ?? new SearchOptions();
            traverse = traverse ?? new TraverseOptions();
            byte[] filter = search.FilterUtf8;
            var pins = new List<GCHandle>();
            int rc;
            IntPtr err;
            TraversalHandle h;
            try
            {
                NativeMethods.qv_traverse_params t = TraverseParams(traverse, pins);
                fixed (float* pq = query)
                fixed (byte* pf = filter)
                {
                    NativeMethods.qv_search_params sp = search.ToNative(pf, filter == null ? 0 : filter.Length);
                    try
                    {
                        rc = NativeMethods.qv_collection_search_expand(Live, pq, (UIntPtr)(uint)query.Length, &sp, &t, out h, out err);
                    }
                    catch (ObjectDisposedException)
                    {
                        throw Errors.Disposed("collection");
                    }
                }
            }
            finally
            {
                Unpin(pins);
            }
            return CopyVisits(rc, h, err);
        }

        /// <summary>
        /// Walks from the hits of any search (<see cref="Search"/>, <see cref="TextSearch"/>,
        /// <see cref="SparseSearch"/>, <see cref="HybridSearch"/>, ...; best first) as
        /// <paramref name="traverse"/> says, as <see cref="SearchExpand"/> walks from its own:
        /// the hits (depth 0, when <c>traverse.MinDepth</c> is 0) and the points reached, each
        /// once, in walk order from the first hit, each with the score of the hit it was reached
        /// from. Hits that are no longer points (deleted since the search) are skipped.
        /// </summary>
        /// <returns>The visits, copied out (the native traversal is freed before this returns).</returns>
        /// <exception cref="ArgumentNullException"><paramref name="hits"/> is null.</exception>
        /// <exception cref="QuiverException">InvalidArgument (as
        /// <see cref="Traverse(ulong[], TraverseOptions)"/>, a score that is NaN), Closed,
        /// OutOfMemory.</exception>
        public unsafe IReadOnlyList<Visit> ExpandHits(IReadOnlyList<SearchHit> hits, TraverseOptions traverse = null)
        {
            if (hits == null)
            {
                throw new ArgumentNullException(nameof(hits));
            }
            traverse = traverse ?? new TraverseOptions();
            var ids = new ulong[hits.Count];
            var scores = new float[hits.Count];
            for (int i = 0; i < ids.Length; i++)
            {
                ids[i] = hits[i].Id;
                scores[i] = hits[i].Score;
            }
            var pins = new List<GCHandle>();
            int rc;
            IntPtr err;
            TraversalHandle h;
            try
            {
                NativeMethods.qv_traverse_params t = TraverseParams(traverse, pins);
                fixed (ulong* pi = ids)
                fixed (float* ps = scores)
                {
                    try
                    {
                        rc = NativeMethods.qv_collection_expand_hits(Live, pi, ps, (UIntPtr)(uint)ids.Length, &t, out h, out err);
                    }
                    catch (ObjectDisposedException)
                    {
                        throw Errors.Disposed("collection");
                    }
                }
            }
            finally
            {
                Unpin(pins);
            }
            return CopyVisits(rc, h, err);
        }

        /// <summary>
        /// The <paramref name="k"/> points (1 to 100000) of the traversal from
        /// <paramref name="starts"/> (as <see cref="Traverse(ulong[], TraverseOptions)"/>) most
        /// similar to <paramref name="query"/>, best first (equal scores by ascending id), each
        /// with its <see cref="Visit.Score"/> in the collection's metric (as a search hit's) and
        /// its depth, origin and path from the walk.
        /// </summary>
        /// <returns>The visits, copied out (the native traversal is freed before this returns).</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is negative.</exception>
        /// <exception cref="QuiverException">InvalidArgument (as <see cref="Traverse(ulong[], TraverseOptions)"/>,
        /// k 0 or above 100000, a query value that is not finite), Unsupported (a metadata-only
        /// collection), DimensionMismatch, NotFound, Closed, OutOfMemory.</exception>
        public unsafe IReadOnlyList<Visit> TraverseRanked(ulong[] starts, TraverseOptions options, float[] query, int k)
        {
            Ids(starts);
            if (query == null)
            {
                throw new ArgumentNullException(nameof(query));
            }
            if (k < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(k), k, "k must not be negative");
            }
            options = options ?? new TraverseOptions();
            var pins = new List<GCHandle>();
            int rc;
            IntPtr err;
            TraversalHandle h;
            try
            {
                NativeMethods.qv_traverse_params p = TraverseParams(options, pins);
                fixed (ulong* ps = starts)
                fixed (float* pq = query)
                {
                    try
                    {
                        rc = NativeMethods.qv_collection_traverse_ranked(Live, ps, (UIntPtr)(uint)starts.Length, &p,
                            pq, (UIntPtr)(uint)query.Length, (uint)k, out h, out err);
                    }
                    catch (ObjectDisposedException)
                    {
                        throw Errors.Disposed("collection");
                    }
                }
            }
            finally
            {
                Unpin(pins);
            }
            return CopyVisits(rc, h, err);
        }

        // The visits of a qv_traversal, copied out; the traversal is freed before this returns.
        private static unsafe IReadOnlyList<Visit> CopyVisits(int rc, TraversalHandle h, IntPtr err)
        {
            using (h)
            {
                Errors.Check(rc, err);
                int count = checked((int)(ulong)NativeMethods.qv_traversal_count(h));
                var result = new Visit[count];
                for (int i = 0; i < count; i++)
                {
                    NativeMethods.qv_visit v;
                    rc = NativeMethods.qv_traversal_get(h, (UIntPtr)(uint)i, &v, out err);
                    Errors.Check(rc, err);
                    result[i] = new Visit(v.id, v.origin, checked((int)v.depth), v.has_score != 0 ? v.score : (float?)null,
                        CopyIds(v.path, v.path_len));
                }
                return result;
            }
        }

        private static unsafe ulong[] CopyIds(ulong* p, ulong n)
        {
            if (n == 0)
            {
                return new ulong[0];
            }
            var a = new ulong[checked((int)n)];
            fixed (ulong* d = a)
            {
                long bytes = (long)n * sizeof(ulong);
                Buffer.MemoryCopy(p, d, bytes, bytes);
            }
            return a;
        }

        /// <summary>
        /// The shortest path from <paramref name="from"/> to <paramref name="to"/> (both points of
        /// the collection) as <paramref name="options"/> says: fewest hops (breadth first, up to
        /// <c>options.MaxDepth</c> hops when not 0) or, with <c>options.Weighted</c>, least total
        /// weight (Dijkstra), searched from both ends at once. Among paths of equal cost, which
        /// one is returned depends on the edges only. A path from a point to itself has that one point and cost 0.
        /// </summary>
        /// <returns>The path (copied out; the native one is freed before this returns), or null
        /// when <paramref name="to"/> cannot be reached.</returns>
        /// <exception cref="QuiverException">InvalidArgument (bad options: a direction, labels, a
        /// hop bound with <c>Weighted</c>), NotFound (<paramref name="from"/> or
        /// <paramref name="to"/> is not a point of the collection), Closed, OutOfMemory.</exception>
        public unsafe GraphPath ShortestPath(ulong from, ulong to, PathOptions options = null)
        {
            options = options ?? new PathOptions();
            var pins = new List<GCHandle>();
            int rc;
            IntPtr err;
            PathHandle h;
            try
            {
                NativeMethods.qv_path_params p;
                NativeMethods.qv_path_params_init(&p);
                p.direction = (uint)options.Direction;
                p.weighted = options.Weighted ? 1u : 0u;
                p.max_depth = (uint)options.MaxDepth;
                p.labels = LabelArray(options.Labels, pins, "options.Labels", out p.nlabels);
                try
                {
                    rc = NativeMethods.qv_collection_shortest_path(Live, from, to, &p, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("collection");
                }
            }
            finally
            {
                Unpin(pins);
            }
            using (h)
            {
                Errors.Check(rc, err);
                if (h.IsInvalid)
                {
                    return null; // unreachable: QV_OK with *out NULL
                }
                NativeMethods.qv_path_view v;
                rc = NativeMethods.qv_path_get_view(h, &v, out err);
                Errors.Check(rc, err);
                if (v.npoints == 0)
                {
                    throw new QuiverException(QuiverStatus.Internal, "internal: qv_collection_shortest_path returned a path without points");
                }
                return new GraphPath(CopyIds(v.points, v.npoints), CopyIds(v.edges, v.npoints - 1), v.cost);
            }
        }

        // ---- native parameters ---------------------------------------------------------------

        // The qv_traverse_params of `o`, its arrays pinned until the handles added to `pins` are freed.
        private static unsafe NativeMethods.qv_traverse_params TraverseParams(TraverseOptions o, List<GCHandle> pins)
        {
            NativeMethods.qv_traverse_params p;
            NativeMethods.qv_traverse_params_init(&p);
            p.order = (uint)o.Order;
            p.min_depth = (uint)o.MinDepth;
            p.max_depth = (uint)o.MaxDepth;
            p.direction = (uint)o.Direction;
            p.limit = (uint)o.Limit;
            p.labels = LabelArray(o.Labels, pins, "options.Labels", out p.nlabels);
            IReadOnlyList<IReadOnlyList<string>> hops = o.HopLabels;
            if (hops != null && hops.Count > 0)
            {
                // CSR: hop i + 1 follows hop_labels[indptr[i] .. indptr[i + 1]].
                var indptr = new ulong[hops.Count + 1];
                var all = new List<string>();
                for (int i = 0; i < hops.Count; i++)
                {
                    if (hops[i] != null)
                    {
                        for (int j = 0; j < hops[i].Count; j++)
                        {
                            all.Add(hops[i][j] ?? throw new ArgumentNullException("options.HopLabels",
                                "options.HopLabels[" + i + "][" + j + "] is null"));
                        }
                    }
                    indptr[i + 1] = (ulong)all.Count;
                }
                p.hop_labels = LabelArray(all, pins, "options.HopLabels", out ulong total);
                p.hop_indptr = (ulong*)Pin(indptr, pins);
                p.nhops = (ulong)hops.Count;
            }
            byte[] f = o.FilterUtf8;
            p.filter_json = (byte*)Pin(f, pins);
            p.filter_len = f == null ? 0UL : (ulong)f.Length;
            return p;
        }

        // `labels` as a pinned qv_label array over one pinned UTF-8 buffer (null when there are none).
        private static unsafe NativeMethods.qv_label* LabelArray(IReadOnlyList<string> labels, List<GCHandle> pins,
            string what, out ulong count)
        {
            count = 0;
            if (labels == null || labels.Count == 0)
            {
                return null;
            }
            var texts = new string[labels.Count];
            for (int i = 0; i < texts.Length; i++)
            {
                texts[i] = labels[i] ?? throw new ArgumentNullException(what, what + "[" + i + "] is null");
            }
            byte[] data = Utf8.EncodeBatch(texts, out ulong[] offsets, what);
            byte* pd = (byte*)Pin(data, pins);
            var structs = new NativeMethods.qv_label[texts.Length];
            for (int i = 0; i < texts.Length; i++)
            {
                structs[i].name = offsets[i + 1] > offsets[i] ? pd + offsets[i] : null;
                structs[i].len = offsets[i + 1] - offsets[i];
            }
            count = (ulong)texts.Length;
            return (NativeMethods.qv_label*)Pin(structs, pins);
        }

        private static void Unpin(List<GCHandle> pins)
        {
            foreach (GCHandle h in pins)
            {
                h.Free();
            }
            pins.Clear();
        }
    }
}
