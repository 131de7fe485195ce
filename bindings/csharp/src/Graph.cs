using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Quiver
{
    /// <summary>Which edges of a point a hop follows (<c>QV_DIRECTION_*</c>).</summary>
    public enum Direction : uint
    {
        /// <summary>Edges leaving the point, to their targets (<c>QV_DIRECTION_OUT</c>, the default).</summary>
        Out = 0,
        /// <summary>Edges reaching the point, to their sources (<c>QV_DIRECTION_IN</c>).</summary>
        In = 1,
        /// <summary>Both (<c>QV_DIRECTION_BOTH</c>); an edge from a point to itself is followed once.</summary>
        Both = 2,
    }

    /// <summary>The order of a traversal (<c>QV_BFS</c>, <c>QV_DFS</c>).</summary>
    public enum TraversalOrder : uint
    {
        /// <summary>Level by level: each point at its least depth from a start (<c>QV_BFS</c>, the default).</summary>
        BreadthFirst = 0,
        /// <summary>Each branch to its end first (preorder): each point at the depth the walk first reached it (<c>QV_DFS</c>).</summary>
        DepthFirst = 1,
    }

    /// <summary>
    /// A directed edge between two points of one collection (<c>qv_edge</c>): a caller-chosen
    /// <see cref="Id"/>, a <see cref="Label"/>, a <see cref="Weight"/> and optional JSON
    /// <see cref="Properties"/>. Immutable; equal when every field is equal.
    /// </summary>
    public sealed class Edge : IEquatable<Edge>
    {
        /// <summary>An edge from <paramref name="source"/> to <paramref name="target"/>.</summary>
        /// <param name="id">The edge's id; adding an edge whose id exists replaces that edge.</param>
        /// <param name="source">The point it leaves (a point of the collection when it is added).</param>
        /// <param name="target">The point it reaches (likewise; may equal <paramref name="source"/>).</param>
        /// <param name="label">1 to 256 bytes of UTF-8, no control characters (the library checks it).</param>
        /// <param name="weight">Finite and not negative (the library checks it); the cost of the edge
        /// for weighted shortest paths. Default 1.</param>
        /// <param name="properties">A JSON object's text, kept byte for byte (at most 1 MiB), or null
        /// (or empty) for none.</param>
        /// <exception cref="ArgumentNullException"><paramref name="label"/> is null.</exception>
        public Edge(ulong id, ulong source, ulong target, string label, float weight = 1f, string properties = null)
        {
            Id = id;
            Source = source;
            Target = target;
            Label = label ?? throw new ArgumentNullException(nameof(label));
            Weight = weight;
            Properties = string.IsNullOrEmpty(properties) ? null : properties;
        }

        /// <summary>The edge's id.</summary>
        public ulong Id { get; }

        /// <summary>The point it leaves.</summary>
        public ulong Source { get; }

        /// <summary>The point it reaches.</summary>
        public ulong Target { get; }

        /// <summary>Its label.</summary>
        public string Label { get; }

        /// <summary>Its weight (default 1).</summary>
        public float Weight { get; }

        /// <summary>Its properties as JSON object text, exactly as written, or null when it has none.</summary>
        public string Properties { get; }

        /// <summary>Whether every field is equal (the weight by <see cref="float.Equals(float)"/>, texts ordinally).</summary>
        public bool Equals(Edge other) =>
            other != null && Id == other.Id && Source == other.Source && Target == other.Target &&
            string.Equals(Label, other.Label, StringComparison.Ordinal) && Weight.Equals(other.Weight) &&
            string.Equals(Properties, other.Properties, StringComparison.Ordinal);

        /// <summary>As <see cref="Equals(Edge)"/>.</summary>
        public override bool Equals(object obj) => Equals(obj as Edge);

        /// <summary>A hash of the fields.</summary>
        public override int GetHashCode() =>
            unchecked(Id.GetHashCode() * 31 + Source.GetHashCode() * 17 + Target.GetHashCode() * 7 + Label.GetHashCode());

        /// <summary>For diagnostics: <c>edge 7: 1 -[knows 0.5]-> 2 {"since": 2020}</c>.</summary>
        public override string ToString() =>
            "edge " + Id + ": " + Source + " -[" + Label + " " + Weight.ToString("R", CultureInfo.InvariantCulture) + "]-> " +
            Target + (Properties == null ? "" : " " + Properties);
    }

    /// <summary>The number of edges reaching (<see cref="In"/>) and leaving (<see cref="Out"/>) a point.</summary>
    public readonly struct PointDegree : IEquatable<PointDegree>
    {
        /// <summary>The two counts.</summary>
        public PointDegree(long inDegree, long outDegree)
        {
            In = inDegree;
            Out = outDegree;
        }

        /// <summary>Edges reaching the point (an edge from the point to itself counts here and in <see cref="Out"/>).</summary>
        public long In { get; }

        /// <summary>Edges leaving the point.</summary>
        public long Out { get; }

        /// <summary>Whether both counts are equal.</summary>
        public bool Equals(PointDegree other) => In == other.In && Out == other.Out;

        /// <summary>As <see cref="Equals(PointDegree)"/>.</summary>
        public override bool Equals(object obj) => obj is PointDegree other && Equals(other);

        /// <summary>A hash of the counts.</summary>
        public override int GetHashCode() => unchecked((int)(In * 397) ^ (int)Out);

        /// <summary>For diagnostics: <c>in=2 out=3</c>.</summary>
        public override string ToString() => "in=" + In + " out=" + Out;
    }

    /// <summary>
    /// One point a traversal reached (a copy of a <c>qv_visit</c>): its <see cref="Id"/>, the
    /// start point or search hit it was reached from (<see cref="Origin"/>), the hops from there
    /// (<see cref="Depth"/>) and the edge ids walked (<see cref="Path"/>, <see cref="Depth"/>
    /// of them), and for a ranked traversal or an expanded search a <see cref="Score"/>.
    /// </summary>
    public readonly struct Visit : IEquatable<Visit>
    {
        private static readonly ulong[] NoPath = new ulong[0];
        private readonly ulong[] path;

        /// <summary>A visit (the binding makes them from the library's; public for tests and mocks).</summary>
        /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
        public Visit(ulong id, ulong origin, int depth, float? score, ulong[] path)
        {
            Id = id;
            Origin = origin;
            Depth = depth;
            Score = score;
            this.path = path ?? throw new ArgumentNullException(nameof(path));
        }

        /// <summary>The point's id.</summary>
        public ulong Id { get; }

        /// <summary>The start point (or search hit) it was reached from; its own id at depth 0.</summary>
        public ulong Origin { get; }

        /// <summary>Hops from <see cref="Origin"/>.</summary>
        public int Depth { get; }

        /// <summary>
        /// <see cref="QuiverCollection.TraverseRanked"/>: the point's score for the query, in the
        /// collection's metric (as <see cref="SearchHit.Score"/>); <see cref="QuiverCollection.SearchExpand"/>:
        /// the score of the hit it was reached from; null for a plain traversal.
        /// </summary>
        public float? Score { get; }

        /// <summary>The edge ids walked from <see cref="Origin"/> to the point, in order (empty at depth 0).</summary>
        public IReadOnlyList<ulong> Path => path ?? NoPath;

        /// <summary>Whether every field is equal, the path edge by edge.</summary>
        public bool Equals(Visit other)
        {
            if (Id != other.Id || Origin != other.Origin || Depth != other.Depth || !Score.Equals(other.Score))
            {
                return false;
            }
            IReadOnlyList<ulong> a = Path, b = other.Path;
            if (a.Count != b.Count)
            {
                return false;
            }
            for (int i = 0; i < a.Count; i++)
            {
                if (a[i] != b[i])
                {
                    return false;
                }
            }
            return true;
        }

        /// <summary>As <see cref="Equals(Visit)"/>.</summary>
        public override bool Equals(object obj) => obj is Visit other && Equals(other);

        /// <summary>A hash of the id, origin and depth.</summary>
        public override int GetHashCode() => unchecked(Id.GetHashCode() * 31 + Origin.GetHashCode() * 7 + Depth);

        /// <summary>For diagnostics: <c>5 (from 1, depth 2, path [10, 14])</c>.</summary>
        public override string ToString()
        {
            var s = new StringBuilder();
            s.Append(Id).Append(" (from ").Append(Origin).Append(", depth ").Append(Depth).Append(", path [");
            s.Append(string.Join(", ", Path)).Append(']');
            if (Score.HasValue)
            {
                s.Append(", score ").Append(Score.Value.ToString("R", CultureInfo.InvariantCulture));
            }
            return s.Append(')').ToString();
        }
    }

    /// <summary>
    /// A shortest path (a copy of a <c>qv_path</c>): the <see cref="Points"/> from the first to
    /// the last, the <see cref="Edges"/> between them (one fewer) and its <see cref="Cost"/>.
    /// </summary>
    public sealed class GraphPath
    {
        internal GraphPath(ulong[] points, ulong[] edges, double cost)
        {
            PointsArray = points;
            EdgesArray = edges;
            Cost = cost;
        }

        internal ulong[] PointsArray { get; }
        internal ulong[] EdgesArray { get; }

        /// <summary>The points from <c>from</c> to <c>to</c> (one point when they are the same).</summary>
        public IReadOnlyList<ulong> Points => PointsArray;

        /// <summary>The edge ids between them, in order (<c>Points.Count - 1</c>).</summary>
        public IReadOnlyList<ulong> Edges => EdgesArray;

        /// <summary>The hops (fewest-hops paths) or the sum of the edges' weights, added in double from the first edge (weighted paths).</summary>
        public double Cost { get; }

        /// <summary>The number of edges.</summary>
        public int Hops => EdgesArray.Length;

        /// <summary>For diagnostics: <c>1 -10-> 3 -12-> 4 (cost 2)</c>.</summary>
        public override string ToString()
        {
            var s = new StringBuilder();
            s.Append(PointsArray[0]);
            for (int i = 0; i < EdgesArray.Length; i++)
            {
                s.Append(" -").Append(EdgesArray[i]).Append("-> ").Append(PointsArray[i + 1]);
            }
            return s.Append(" (cost ").Append(Cost.ToString("R", CultureInfo.InvariantCulture)).Append(')').ToString();
        }
    }

    /// <summary>
    /// What a traversal follows and returns (<c>qv_traverse_params</c>), for
    /// <see cref="QuiverCollection.Traverse(ulong[], TraverseOptions)"/>,
    /// <see cref="QuiverCollection.SearchExpand"/> and <see cref="QuiverCollection.TraverseRanked"/>.
    /// Defaults come from the library (<c>qv_traverse_params_init</c>: breadth first, depth 1 to 1,
    /// out, limit 1,000, any label, no filter). Values are passed as they are: the library checks
    /// them (max depth 1 to 1000, min depth at most max depth, limit 1 to 10,000,000, labels, the
    /// filter) and reports InvalidArgument. Not shared state: one instance may be used by many
    /// threads at once as long as nobody changes it meanwhile.
    /// </summary>
    public sealed class TraverseOptions
    {
        private int minDepth;
        private int maxDepth;
        private int limit;
        private string filter;
        private byte[] filterUtf8;

        /// <summary>The library's defaults.</summary>
        public unsafe TraverseOptions()
        {
            NativeMethods.qv_traverse_params p;
            NativeMethods.qv_traverse_params_init(&p);
            Order = (TraversalOrder)p.order;
            minDepth = unchecked((int)p.min_depth);
            maxDepth = unchecked((int)p.max_depth);
            Direction = (Direction)p.direction;
            limit = unchecked((int)p.limit);
        }

        /// <summary>The defaults with up to <paramref name="maxDepth"/> hops.</summary>
        public TraverseOptions(int maxDepth) : this() => MaxDepth = maxDepth;

        /// <summary>Breadth first (default) or depth first.</summary>
        public TraversalOrder Order { get; set; }

        /// <summary>
        /// Points reached in fewer hops are walked through but not returned; 0 returns the start
        /// points (or search hits) too, at depth 0. Default 1.
        /// </summary>
        public int MinDepth
        {
            get => minDepth;
            set => minDepth = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MinDepth), value, "min depth must not be negative");
        }

        /// <summary>Hops from a start point, 1 to 1000. Default 1.</summary>
        public int MaxDepth
        {
            get => maxDepth;
            set => maxDepth = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxDepth), value, "max depth must not be negative");
        }

        /// <summary>Which edges a hop follows. Default <see cref="Quiver.Direction.Out"/>.</summary>
        public Direction Direction { get; set; }

        /// <summary>Most points returned, 1 to 10,000,000; the walk stops there. Default 1,000.</summary>
        public int Limit
        {
            get => limit;
            set => limit = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(Limit), value, "limit must not be negative");
        }

        /// <summary>The labels every hop may follow; null or empty = any label.</summary>
        public IReadOnlyList<string> Labels { get; set; }

        /// <summary>
        /// Labels per hop: entry i holds the labels hop i + 1 may follow; a null or empty entry
        /// (and every hop past the last entry) follows <see cref="Labels"/>. At most
        /// <see cref="MaxDepth"/> entries. Null = none.
        /// </summary>
        public IReadOnlyList<IReadOnlyList<string>> HopLabels { get; set; }

        /// <summary>
        /// A payload filter as JSON text (as <see cref="SearchOptions.Filter"/>, e.g.
        /// <c>Filter.Eq("kind", "person").Json</c>); null = none. A point reached by a hop must
        /// match it to be returned or walked through; start points are not tested.
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

        /// <summary>For diagnostics.</summary>
        public override string ToString()
        {
            var s = new StringBuilder();
            s.Append(Order).Append(" depth ").Append(minDepth).Append("..").Append(maxDepth).Append(' ').Append(Direction)
                .Append(" limit ").Append(limit);
            if (Labels != null && Labels.Count > 0)
            {
                s.Append(" labels [").Append(string.Join(", ", Labels)).Append(']');
            }
            if (HopLabels != null && HopLabels.Count > 0)
            {
                s.Append(" hops [");
                for (int i = 0; i < HopLabels.Count; i++)
                {
                    s.Append(i == 0 ? "" : "; ").Append(HopLabels[i] == null ? "" : string.Join(", ", HopLabels[i]));
                }
                s.Append(']');
            }
            if (filter != null)
            {
                s.Append(" filter ").Append(filter);
            }
            return s.ToString();
        }
    }

    /// <summary>
    /// What a shortest path may follow (<c>qv_path_params</c>), for
    /// <see cref="QuiverCollection.ShortestPath"/>. Defaults come from the library
    /// (<c>qv_path_params_init</c>: out, fewest hops, no hop bound, any label).
    /// </summary>
    public sealed class PathOptions
    {
        private int maxDepth;

        /// <summary>The library's defaults.</summary>
        public unsafe PathOptions()
        {
            NativeMethods.qv_path_params p;
            NativeMethods.qv_path_params_init(&p);
            Direction = (Direction)p.direction;
            Weighted = p.weighted != 0;
            maxDepth = unchecked((int)p.max_depth);
        }

        /// <summary>Which edges a hop follows. Default <see cref="Quiver.Direction.Out"/>.</summary>
        public Direction Direction { get; set; }

        /// <summary>True = least total weight (Dijkstra); false (default) = fewest hops.</summary>
        public bool Weighted { get; set; }

        /// <summary>Most hops of a fewest-hops path; 0 (default) = no bound. Must be 0 when <see cref="Weighted"/>.</summary>
        public int MaxDepth
        {
            get => maxDepth;
            set => maxDepth = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxDepth), value, "max depth must not be negative");
        }

        /// <summary>The labels the path may follow; null or empty = any.</summary>
        public IReadOnlyList<string> Labels { get; set; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            Direction + (Weighted ? " weighted" : " hops") + (maxDepth == 0 ? "" : " max " + maxDepth) +
            (Labels == null || Labels.Count == 0 ? "" : " labels [" + string.Join(", ", Labels) + "]");
    }
}
