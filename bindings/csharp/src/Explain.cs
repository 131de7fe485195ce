using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace Quiver
{
    /// <summary>
    /// How the planner searched one segment (an entry of
    /// <see cref="SearchExplanation.Segments"/>; the object of the
    /// <c>"segments"</c> array of <c>qv_collection_explain</c>).
    /// </summary>
    public sealed class SegmentPlan
    {
        internal SegmentPlan(Dictionary<string, object> o, string what)
        {
            Segment = JsonReader.AsUInt64(JsonReader.Field(o, "segment", what), what + ".segment");
            Kind = JsonReader.AsString(JsonReader.Field(o, "kind", what), what + ".kind");
            Live = JsonReader.AsInt64(JsonReader.Field(o, "live", what), what + ".live");
            object sure = JsonReader.Field(o, "sure", what);
            Sure = sure == null ? (long?)null : JsonReader.AsInt64(sure, what + ".sure");
            ToCheck = JsonReader.AsInt64(JsonReader.Field(o, "to_check", what), what + ".to_check");
            Estimate = JsonReader.AsDouble(JsonReader.Field(o, "estimate", what), what + ".estimate");
            Plan = JsonReader.AsString(JsonReader.Field(o, "plan", what), what + ".plan");
            Cost = JsonReader.AsDouble(JsonReader.Field(o, "cost", what), what + ".cost");
            Fallback = JsonReader.AsBool(JsonReader.Field(o, "fallback", what), what + ".fallback");
        }

        /// <summary>The segment's id (as in <see cref="SegmentStats.Id"/>).</summary>
        public ulong Segment { get; }

        /// <summary>"sealed", "frozen" or "appendable" (later library versions may add kinds).</summary>
        public string Kind { get; }

        /// <summary>Its live points.</summary>
        public long Live { get; }

        /// <summary>Points the field indexes matched for sure; null when no index answered a condition of the filter.</summary>
        public long? Sure { get; }

        /// <summary>Points the filter is evaluated on (those an index could not decide, or all of them without an index).</summary>
        public long ToCheck { get; }

        /// <summary>Matching points, estimated (exact when nothing is left to check).</summary>
        public double Estimate { get; }

        /// <summary>
        /// The plan: "graph" (no filter), "graph-indexed", "graph-two-hop",
        /// "graph-filtered", "scan-candidates", "scan-filtered", "scan" (exact, no
        /// filter) or "none" (nothing can match); later library versions may add plans.
        /// </summary>
        public string Plan { get; }

        /// <summary>The plan's estimated cost, in distance computations.</summary>
        public double Cost { get; }

        /// <summary>The graph came back short and an exact scan replaced it.</summary>
        public bool Fallback { get; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            "segment " + Segment + " (" + Kind + ", " + Live + " live): " + Plan + ", cost " + Cost +
            ", estimate " + Estimate + (Fallback ? ", fell back to a scan" : "");
    }

    /// <summary>
    /// What <see cref="QuiverCollection.Explain"/> returns: the search's hits and
    /// the plan the planner chose for each segment, parsed from the library's JSON
    /// document (<see cref="Json"/>, kept as it came).
    /// </summary>
    public sealed class SearchExplanation
    {
        private SearchExplanation(string json, SearchHit[] hits, IReadOnlyList<SegmentPlan> segments)
        {
            Json = json;
            Hits = hits;
            Segments = segments;
        }

        internal static SearchExplanation Parse(string json)
        {
            try
            {
                var root = JsonReader.AsObject(JsonReader.Parse(json), "the explanation");
                var hitList = JsonReader.AsArray(JsonReader.Field(root, "hits", "the explanation"), "hits");
                var hits = new SearchHit[hitList.Count];
                for (int i = 0; i < hits.Length; i++)
                {
                    string what = "hits[" + i + "]";
                    var h = JsonReader.AsObject(hitList[i], what);
                    hits[i] = new SearchHit(
                        JsonReader.AsUInt64(JsonReader.Field(h, "id", what), what + ".id"),
                        (float)JsonReader.AsDouble(JsonReader.Field(h, "score", what), what + ".score"),
                        null);
                }
                var segList = JsonReader.AsArray(JsonReader.Field(root, "segments", "the explanation"), "segments");
                var segments = new SegmentPlan[segList.Count];
                for (int i = 0; i < segments.Length; i++)
                {
                    string what = "segments[" + i + "]";
                    segments[i] = new SegmentPlan(JsonReader.AsObject(segList[i], what), what);
                }
                return new SearchExplanation(json, hits, new ReadOnlyCollection<SegmentPlan>(segments));
            }
            catch (FormatException e)
            {
                throw new QuiverException(QuiverStatus.Internal,
                    "internal: the library's explanation does not read as documented (" + e.Message + "): " + json);
            }
        }

        /// <summary>
        /// The library's document as it came: <c>{"hits": [{"id", "score"}, ...],
        /// "segments": [{"segment", "kind", "live", "sure", "to_check", "estimate",
        /// "plan", "cost", "fallback"}, ...]}</c>.
        /// </summary>
        public string Json { get; }

        /// <summary>The search's hits, best first (without payloads), as <see cref="QuiverCollection.Search"/> returns them.</summary>
        public SearchHit[] Hits { get; }

        /// <summary>One plan per segment searched.</summary>
        public IReadOnlyList<SegmentPlan> Segments { get; }

        /// <summary>The JSON document (<see cref="Json"/>).</summary>
        public override string ToString() => Json;
    }
}
