using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;

namespace Quiver
{
    /// <summary>The kind of a segment (<c>QV_SEGMENT_*</c>). Later library versions may add kinds; they keep their number.</summary>
    public enum SegmentKind : uint
    {
        /// <summary>Takes new writes (held in RAM, durable through the log); searched exactly.</summary>
        Appendable = 0,
        /// <summary>Immutable files written by the optimizer, with a graph index.</summary>
        Sealed = 1,
    }

    /// <summary>What the background optimizer is doing for a collection (<c>QV_OPTIMIZER_*</c>). Later library versions may add states.</summary>
    public enum OptimizerState : uint
    {
        /// <summary>Nothing to do.</summary>
        Idle = 0,
        /// <summary>Work is waiting for an optimizer thread.</summary>
        Pending = 1,
        /// <summary>An optimizer thread is rewriting segments of the collection.</summary>
        Running = 2,
    }

    /// <summary>One segment of a collection (<c>qv_segment_stats</c>).</summary>
    public sealed class SegmentStats
    {
        internal SegmentStats(NativeMethods.qv_segment_stats s)
        {
            Id = s.id;
            Kind = (SegmentKind)s.kind;
            Points = (long)s.points;
            Deleted = (long)s.deleted;
            DiskBytes = (long)s.disk_bytes;
            RamBytes = (long)s.ram_bytes;
        }

        /// <summary>The segment id, unique within the collection and never reused.</summary>
        public ulong Id { get; }

        /// <summary>Appendable or sealed.</summary>
        public SegmentKind Kind { get; }

        /// <summary>Live points in the segment.</summary>
        public long Points { get; }

        /// <summary>Points the segment still stores that were deleted or overwritten since it was written (space the optimizer reclaims).</summary>
        public long Deleted { get; }

        /// <summary>Bytes of the segment's files.</summary>
        public long DiskBytes { get; }

        /// <summary>Bytes of heap the segment holds (mapped files not included).</summary>
        public long RamBytes { get; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() =>
            "segment " + Id + " (" + Kind + "): " + Points + " points, " + Deleted + " deleted, " + DiskBytes + " B on disk, " + RamBytes + " B in RAM";
    }

    /// <summary>One component of a collection (ids, vectors, payloads, graph, log, ...), summed over its segments (<c>qv_component_stats</c>).</summary>
    public sealed class ComponentStats
    {
        internal ComponentStats(string name, long diskBytes, long ramBytes)
        {
            Name = name;
            DiskBytes = diskBytes;
            RamBytes = ramBytes;
        }

        /// <summary>"log", "ids", "vectors", "payloads", "graph", "deleted", "manifest"; later library versions add more.</summary>
        public string Name { get; }

        /// <summary>Bytes of its files.</summary>
        public long DiskBytes { get; }

        /// <summary>Bytes of heap it holds (mapped files not included).</summary>
        public long RamBytes { get; }

        /// <summary>For diagnostics.</summary>
        public override string ToString() => Name + ": " + DiskBytes + " B on disk, " + RamBytes + " B in RAM";
    }

    /// <summary>
    /// What a collection reports about itself (<see cref="QuiverCollection.Stats"/>):
    /// a snapshot copied out of the library's <c>qv_stats</c>, which is freed
    /// before <see cref="QuiverCollection.Stats"/> returns. Immutable.
    /// </summary>
    public sealed class CollectionStats
    {
        internal unsafe CollectionStats(NativeMethods.qv_stats_view* v)
        {
            LivePoints = (long)v->live_points;
            DeletedPoints = (long)v->deleted_points;
            DiskBytes = (long)v->disk_bytes;
            RamBytes = (long)v->ram_bytes;
            OptimizerState = (OptimizerState)v->optimizer_state;
            OptimizerRuns = (long)v->optimizer_runs;
            OptimizerError = Utf8.FromNulTerminatedOrNull(v->optimizer_error);
            ReadOnlyCause = Utf8.FromNulTerminatedOrNull(v->read_only_cause);

            var segments = new SegmentStats[checked((int)v->segment_count)];
            for (int i = 0; i < segments.Length; i++)
            {
                segments[i] = new SegmentStats(v->segments[i]);
            }
            Segments = new ReadOnlyCollection<SegmentStats>(segments);

            var components = new ComponentStats[checked((int)v->component_count)];
            for (int i = 0; i < components.Length; i++)
            {
                NativeMethods.qv_component_stats c = v->components[i];
                components[i] = new ComponentStats(Utf8.FromNulTerminated((IntPtr)c.name), (long)c.disk_bytes, (long)c.ram_bytes);
            }
            Components = new ReadOnlyCollection<ComponentStats>(components);

            var rebuilt = new string[checked((int)v->rebuilt_count)];
            for (int i = 0; i < rebuilt.Length; i++)
            {
                rebuilt[i] = Utf8.FromNulTerminated((IntPtr)v->rebuilt_on_open[i]);
            }
            RebuiltOnOpen = new ReadOnlyCollection<string>(rebuilt);

            Json = Utf8.FromNulTerminated((IntPtr)v->json);
        }

        /// <summary>Points a search or <see cref="QuiverCollection.Count"/> can see.</summary>
        public long LivePoints { get; }

        /// <summary>Points still stored but deleted or overwritten (not yet reclaimed by the optimizer).</summary>
        public long DeletedPoints { get; }

        /// <summary>Bytes of every file of the collection.</summary>
        public long DiskBytes { get; }

        /// <summary>Bytes of heap the collection holds (mapped files not included).</summary>
        public long RamBytes { get; }

        /// <summary>What the background optimizer is doing.</summary>
        public OptimizerState OptimizerState { get; }

        /// <summary>Optimization runs completed since the collection was opened.</summary>
        public long OptimizerRuns { get; }

        /// <summary>The error of the last optimization run when it failed, else null.</summary>
        public string OptimizerError { get; }

        /// <summary>Why the collection refuses writes (see <see cref="QuiverStatus.ReadOnly"/>), or null when it is writable.</summary>
        public string ReadOnlyCause { get; }

        /// <summary>Every segment, appendable ones first.</summary>
        public IReadOnlyList<SegmentStats> Segments { get; }

        /// <summary>Bytes per component.</summary>
        public IReadOnlyList<ComponentStats> Components { get; }

        /// <summary>One sentence per derived file (graph, ...) found missing or damaged when the collection was opened and rebuilt from the primary data.</summary>
        public IReadOnlyList<string> RebuiltOnOpen { get; }

        /// <summary>
        /// All of the above as one JSON document, with the library's field names:
        /// live_points, deleted_points, disk_bytes, ram_bytes, segments, components,
        /// optimizer {state, completed_runs, last_error}, rebuilt_on_open, read_only_cause.
        /// </summary>
        public string Json { get; }

        /// <summary>The JSON document.</summary>
        public override string ToString() => Json;
    }
}
