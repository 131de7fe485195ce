using System;

namespace Quiver
{
    /// <summary>
    /// The status codes of the C library (<c>qv_status</c> in quiver.h). Later
    /// library versions may add codes; the binding reports a code it does not
    /// know as <see cref="Unknown"/> and keeps the number in
    /// <see cref="QuiverException.Code"/>.
    /// </summary>
    public enum QuiverStatus
    {
        /// <summary>A status code this version of the binding does not know.</summary>
        Unknown = -1,
        /// <summary>Success (never carried by an exception).</summary>
        Ok = 0,
        /// <summary>An argument is malformed: bad name, k = 0, NaN, invalid JSON, unknown enum value, ...</summary>
        InvalidArgument = 1,
        /// <summary>A vector's length differs from the collection's dimension.</summary>
        DimensionMismatch = 2,
        /// <summary>The named collection does not exist.</summary>
        NotFound = 3,
        /// <summary>The named collection exists already.</summary>
        AlreadyExists = 4,
        /// <summary>The object, its database or its collection was disposed, closed or dropped.</summary>
        Closed = 5,
        /// <summary>An operating-system I/O error.</summary>
        Io = 6,
        /// <summary>A file fails its checks.</summary>
        Corrupt = 7,
        /// <summary>A file is not a Quiver file or has a format version this library cannot read.</summary>
        IncompatibleFormat = 8,
        /// <summary>The database directory is open already (in this process or another).</summary>
        Locked = 9,
        /// <summary>The operation does not apply (e.g. vector search on a metadata-only collection).</summary>
        Unsupported = 10,
        /// <summary>Reserved for the query language.</summary>
        QuerySyntax = 11,
        /// <summary>A result buffer of the requested size could not be allocated.</summary>
        OutOfMemory = 12,
        /// <summary>A bug in the library.</summary>
        Internal = 13,
        /// <summary>The library panicked; the call had no effect it acknowledges.</summary>
        Panic = 14,
        /// <summary>
        /// The collection refuses writes until it is reopened: an I/O error after a
        /// log append (a failed fsync, a full disk) or a caught panic left its state
        /// uncertain. Reads and searches still work; <see cref="CollectionStats.ReadOnlyCause"/>
        /// says why. Closing the database and opening it again recovers from the log.
        /// </summary>
        ReadOnly = 15,
        /// <summary>
        /// A long operation stopped because its progress callback asked it to
        /// (<see cref="QuiverCollection.TrainQuantizer"/> when the callback returns false);
        /// it changed nothing.
        /// </summary>
        Cancelled = 16,
    }

    /// <summary>
    /// An error reported by Quiver: the status code and the library's message,
    /// which names what failed and why ("dimension mismatch: ... got 2 floats,
    /// collection expects 3").
    /// </summary>
    [Serializable]
    public class QuiverException : Exception
    {
        /// <summary>Creates an exception with a status and a message.</summary>
        public QuiverException(QuiverStatus status, string message)
            : this((int)status, message)
        {
        }

        /// <summary>Creates an exception from a raw library status code.</summary>
        public QuiverException(int code, string message)
            : base(message)
        {
            Code = code;
            Status = StatusOf(code);
            HResult = unchecked((int)0x80040000) | (code & 0xffff);
        }

        /// <summary>The status, or <see cref="QuiverStatus.Unknown"/> for a code this binding does not know.</summary>
        public QuiverStatus Status { get; }

        /// <summary>The library's numeric status code (<c>QV_ERR_*</c>), also for unknown codes.</summary>
        public int Code { get; }

        internal static QuiverStatus StatusOf(int code) =>
            code >= (int)QuiverStatus.Ok && code <= (int)QuiverStatus.Cancelled
                ? (QuiverStatus)code
                : QuiverStatus.Unknown;
    }

    /// <summary>Turns status codes and <c>qv_error</c> objects into exceptions.</summary>
    internal static class Errors
    {
        /// <summary>
        /// Throws when <paramref name="status"/> is not QV_OK. The error object
        /// (if any) is read (code and message) and freed before this returns.
        /// </summary>
        internal static void Check(int status, IntPtr err)
        {
            if (status != 0)
            {
                throw FromNative(status, err);
            }
            if (err != IntPtr.Zero)
            {
                NativeMethods.qv_error_free(err); // not expected on success; never leak it
            }
        }

        internal static QuiverException FromNative(int status, IntPtr err)
        {
            if (err == IntPtr.Zero)
            {
                return new QuiverException(status, "quiver: " + StatusOf(status) + " (no error details)");
            }
            using (var owned = new ErrorHandle(err))
            {
                int code = NativeMethods.qv_error_code(err);
                string message = Utf8.FromNulTerminated(NativeMethods.qv_error_message(err));
                return new QuiverException(code != 0 ? code : status, message);
            }
        }

        /// <summary>The exception of every call on a disposed object.</summary>
        internal static QuiverException Disposed(string what) =>
            new QuiverException(QuiverStatus.Closed, "closed: this " + what + " was disposed");

        internal static QuiverException Invalid(string message) =>
            new QuiverException(QuiverStatus.InvalidArgument, "invalid argument: " + message);

        private static string StatusOf(int code)
        {
            var s = QuiverException.StatusOf(code);
            return s == QuiverStatus.Unknown ? "status " + code : s.ToString();
        }
    }
}
