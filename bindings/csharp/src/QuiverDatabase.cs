using System;
using System.Collections.Generic;

namespace Quiver
{
    /// <summary>
    /// An open Quiver database: a directory of named collections
    /// (<c>qv_database</c>). Create one with <see cref="Open(string, DatabaseOptions)"/>
    /// and dispose it (or call <see cref="Close"/>) when done; the directory is
    /// locked while it is open.
    /// </summary>
    /// <remarks>
    /// Thread safety: every method may be called from any thread at once,
    /// including <see cref="Dispose"/> while other threads are inside calls:
    /// those calls finish, the database closes when the last one returns, and
    /// every later call on it or on its collections throws
    /// <see cref="QuiverException"/> with <see cref="QuiverStatus.Closed"/>.
    /// A database that is never disposed is closed by the garbage collector
    /// once neither it nor any of its collections is reachable.
    /// </remarks>
    public sealed class QuiverDatabase : IDisposable
    {
        private readonly DatabaseHandle handle;

        private QuiverDatabase(DatabaseHandle handle, string path)
        {
            this.handle = handle;
            Path = path;
        }

        // The handle for a native call; throws QuiverException(Closed) after Dispose.
        private DatabaseHandle Live
        {
            get
            {
                handle.ThrowIfDisposed("database");
                return handle;
            }
        }

        /// <summary>The directory this database was opened in.</summary>
        public string Path { get; }

        /// <summary>The native <c>qv_database *</c>, for interop with other P/Invoke code.</summary>
        public System.Runtime.InteropServices.SafeHandle Handle => handle;

        /// <summary>
        /// Opens the database in directory <paramref name="path"/>, creating the
        /// directory if it does not exist.
        /// </summary>
        /// <exception cref="QuiverException">Locked (open already, in this process or another),
        /// IncompatibleFormat (not a Quiver database), Corrupt, Io, InvalidArgument.</exception>
        public static unsafe QuiverDatabase Open(string path, DatabaseOptions options = null)
        {
            QuiverLibrary.EnsureCompatible();
            byte[] p = Utf8.Encode(path, nameof(path));
            var opts = (options ?? new DatabaseOptions()).ToNative();
            DatabaseHandle h;
            IntPtr err;
            int rc;
            fixed (byte* pp = p)
            {
                rc = NativeMethods.qv_database_open(pp, (UIntPtr)(uint)p.Length, &opts, out h, out err);
            }
            if (rc != 0)
            {
                h.Dispose();
            }
            Errors.Check(rc, err);
            return new QuiverDatabase(h, path);
        }

        /// <summary>
        /// Creates collection <paramref name="name"/> (1 to 64 ASCII letters,
        /// digits, '_', '-', '.', not starting with '.') and returns a handle to it.
        /// </summary>
        /// <exception cref="QuiverException">AlreadyExists, InvalidArgument (bad name or
        /// configuration), Closed, Io.</exception>
        public unsafe QuiverCollection CreateCollection(string name, CollectionConfig config)
        {
            if (config == null)
            {
                throw new ArgumentNullException(nameof(config));
            }
            byte[] n = Utf8.Encode(name, nameof(name));
            var c = config.ToNative();
            CollectionHandle h;
            IntPtr err;
            int rc;
            fixed (byte* pn = n)
            {
                try
                {
                    rc = NativeMethods.qv_database_create_collection(Live, pn, (UIntPtr)(uint)n.Length, &c, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("database");
                }
            }
            return QuiverCollection.FromNative(this, name, rc, h, err);
        }

        /// <summary>Opens the existing collection <paramref name="name"/>. Several handles to one collection may be open.</summary>
        /// <exception cref="QuiverException">NotFound, InvalidArgument (bad name), Closed,
        /// Corrupt, IncompatibleFormat, Io.</exception>
        public unsafe QuiverCollection OpenCollection(string name)
        {
            byte[] n = Utf8.Encode(name, nameof(name));
            CollectionHandle h;
            IntPtr err;
            int rc;
            fixed (byte* pn = n)
            {
                try
                {
                    rc = NativeMethods.qv_database_open_collection(Live, pn, (UIntPtr)(uint)n.Length, out h, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("database");
                }
            }
            return QuiverCollection.FromNative(this, name, rc, h, err);
        }

        /// <summary>The names of the collections, sorted.</summary>
        /// <exception cref="QuiverException">Closed, Io.</exception>
        public unsafe IReadOnlyList<string> ListCollections()
        {
            StringsHandle list;
            IntPtr err;
            int rc;
            try
            {
                rc = NativeMethods.qv_database_list_collections(Live, out list, out err);
            }
            catch (ObjectDisposedException)
            {
                throw Errors.Disposed("database");
            }
            using (list)
            {
                Errors.Check(rc, err);
                int count = checked((int)(ulong)NativeMethods.qv_strings_count(list));
                var names = new string[count];
                for (int i = 0; i < count; i++)
                {
                    IntPtr s;
                    UIntPtr len;
                    rc = NativeMethods.qv_strings_get(list, (UIntPtr)(uint)i, out s, out len, out err);
                    Errors.Check(rc, err);
                    names[i] = Utf8.Decode((byte*)s, (ulong)len);
                }
                return names;
            }
        }

        /// <summary>
        /// Deletes collection <paramref name="name"/> and its files. Open handles
        /// to it throw QuiverException(Closed) afterwards.
        /// </summary>
        /// <exception cref="QuiverException">NotFound, InvalidArgument, Closed, Io.</exception>
        public unsafe void DropCollection(string name)
        {
            byte[] n = Utf8.Encode(name, nameof(name));
            IntPtr err;
            int rc;
            fixed (byte* pn = n)
            {
                try
                {
                    rc = NativeMethods.qv_database_drop_collection(Live, pn, (UIntPtr)(uint)n.Length, out err);
                }
                catch (ObjectDisposedException)
                {
                    throw Errors.Disposed("database");
                }
            }
            Errors.Check(rc, err);
        }

        /// <summary>
        /// Closes the database: waits for calls in flight, checkpoints and closes
        /// every collection, releases the directory lock. Unlike
        /// <see cref="Dispose"/>, it reports a failed final checkpoint (the
        /// database is closed regardless). Closing twice is harmless.
        /// </summary>
        /// <exception cref="QuiverException">Io when the final checkpoint fails.</exception>
        public void Close()
        {
            if (handle.IsDisposeRequested)
            {
                return; // closed already
            }
            IntPtr err = IntPtr.Zero;
            int rc = 0;
            try
            {
                rc = NativeMethods.qv_database_close(handle, out err);
            }
            catch (ObjectDisposedException)
            {
                return; // closed already
            }
            finally
            {
                handle.Dispose();
            }
            Errors.Check(rc, err);
        }

        /// <summary>
        /// Closes the database (see <see cref="Close"/>) without reporting errors.
        /// Safe while other threads are inside calls: the close happens when
        /// the last of them returns.
        /// </summary>
        public void Dispose() => handle.Dispose();

        /// <summary>For diagnostics.</summary>
        public override string ToString() => "QuiverDatabase(" + Path + ")";
    }
}
