// SafeHandles for every object the library hands out. ReleaseHandle runs
// exactly once, after the last call that holds a reference on the handle
// (the P/Invoke marshaller, or a HandleLease) has returned: a Dispose while
// other threads are inside calls marks the handle closed at once (later
// calls fail) and frees the native object when the last call leaves. When
// nobody disposes, the finalizer does the same. ReleaseHandle never throws.
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Quiver
{
    internal abstract class QuiverHandle : SafeHandle
    {
        private static long released;

        protected QuiverHandle() : base(IntPtr.Zero, true) { }

        // SafeHandle.Dispose only marks the handle closed once no call holds a
        // reference any more: while other threads keep calling, new calls
        // would still get through. This flag makes every call that starts
        // after Dispose fail at once.
        private int disposeRequested;

        public override bool IsInvalid => handle == IntPtr.Zero;

        internal bool IsDisposeRequested => Volatile.Read(ref disposeRequested) != 0;

        /// <summary>Throws QuiverException(Closed) once Dispose was called.</summary>
        internal void ThrowIfDisposed(string what)
        {
            if (Volatile.Read(ref disposeRequested) != 0)
            {
                throw Errors.Disposed(what);
            }
        }

        protected override void Dispose(bool disposing)
        {
            Volatile.Write(ref disposeRequested, 1);
            base.Dispose(disposing);
        }

        /// <summary>How many native objects the binding has released (for the leak tests).</summary>
        internal static long Released => Interlocked.Read(ref released);

        protected sealed override bool ReleaseHandle()
        {
            try
            {
                Free(handle);
            }
            catch
            {
                // Never let anything escape a finalizer; the native free
                // functions do not fail, so this is defensive only.
            }
            Interlocked.Increment(ref released);
            return true;
        }

        protected abstract void Free(IntPtr p);
    }

    /// <summary>A <c>qv_database *</c>: released with qv_database_close + qv_database_free.</summary>
    internal sealed class DatabaseHandle : QuiverHandle
    {
        public DatabaseHandle() { }

        protected override void Free(IntPtr p)
        {
            // The close of an explicit QuiverDatabase.Close() has happened
            // already (closing twice is a no-op). Errors are dropped here:
            // the database is closed regardless, and a finalizer must not throw.
            NativeMethods.qv_database_close_raw(p, IntPtr.Zero);
            NativeMethods.qv_database_free(p);
        }
    }

    /// <summary>A <c>qv_collection *</c>: qv_collection_free closes and releases it.</summary>
    internal sealed class CollectionHandle : QuiverHandle
    {
        public CollectionHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_collection_free(p);
    }

    /// <summary>A <c>qv_results *</c>.</summary>
    internal sealed class ResultsHandle : QuiverHandle
    {
        public ResultsHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_results_free(p);
    }

    /// <summary>A <c>qv_points *</c>.</summary>
    internal sealed class PointsHandle : QuiverHandle
    {
        public PointsHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_points_free(p);
    }

    /// <summary>A <c>qv_stats *</c>.</summary>
    internal sealed class StatsHandle : QuiverHandle
    {
        public StatsHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_stats_free(p);
    }

    /// <summary>A <c>qv_strings *</c>.</summary>
    internal sealed class StringsHandle : QuiverHandle
    {
        public StringsHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_strings_free(p);
    }

    /// <summary>A <c>qv_sparse *</c>.</summary>
    internal sealed class SparseHandle : QuiverHandle
    {
        public SparseHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_sparse_free(p);
    }

    /// <summary>A <c>qv_edges *</c>.</summary>
    internal sealed class EdgesHandle : QuiverHandle
    {
        public EdgesHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_edges_free(p);
    }

    /// <summary>A <c>qv_traversal *</c>.</summary>
    internal sealed class TraversalHandle : QuiverHandle
    {
        public TraversalHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_traversal_free(p);
    }

    /// <summary>A <c>qv_path *</c> (NULL, an invalid handle, when no path was found).</summary>
    internal sealed class PathHandle : QuiverHandle
    {
        public PathHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_path_free(p);
    }

    internal sealed class FieldIndexesHandle : QuiverHandle
    {
        public FieldIndexesHandle() { }

        protected override void Free(IntPtr p) => NativeMethods.qv_field_indexes_free(p);
    }

    /// <summary>A <c>qv_error *</c>, owned from the moment a failed call returns it.</summary>
    internal sealed class ErrorHandle : QuiverHandle
    {
        public ErrorHandle() { }

        internal ErrorHandle(IntPtr p) => SetHandle(p);

        protected override void Free(IntPtr p) => NativeMethods.qv_error_free(p);
    }

    /// <summary>
    /// A reference held on a SafeHandle while the binding reads memory the
    /// native object owns (result views): the object cannot be freed under
    /// the reader. Taking a lease on a disposed handle throws
    /// QuiverException(Closed).
    /// </summary>
    internal struct HandleLease : IDisposable
    {
        private readonly QuiverHandle handle;
        private bool added;

        internal HandleLease(QuiverHandle handle, string what)
        {
            this.handle = handle;
            added = false;
            try
            {
                handle.DangerousAddRef(ref added);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed(what);
            }
            if (handle.IsDisposeRequested)
            {
                handle.DangerousRelease();
                added = false;
                throw Errors.Disposed(what);
            }
        }

        public void Dispose()
        {
            if (added)
            {
                added = false;
                handle.DangerousRelease();
            }
        }
    }
}
