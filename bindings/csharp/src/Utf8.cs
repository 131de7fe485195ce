using System;
using System.Text;

namespace Quiver
{
    /// <summary>UTF-8 with explicit lengths, both ways.</summary>
    internal static unsafe class Utf8
    {
        // Strict: a string with a lone surrogate is rejected instead of being
        // silently turned into U+FFFD.
        private static readonly UTF8Encoding Strict = new UTF8Encoding(false, true);

        internal static byte[] Encode(string s, string paramName)
        {
            if (s == null)
            {
                throw new ArgumentNullException(paramName);
            }
            return EncodeChecked(s, paramName);
        }

        /// <summary>UTF-8 of <paramref name="s"/>, or null for null.</summary>
        internal static byte[] EncodeOptional(string s, string paramName) =>
            s == null ? null : EncodeChecked(s, paramName);

        private static byte[] EncodeChecked(string s, string paramName)
        {
            try
            {
                return Strict.GetBytes(s);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("`" + paramName + "` is not valid UTF-16 (lone surrogate)", paramName, e);
            }
        }

        /// <summary>
        /// Concatenates the UTF-8 of <paramref name="items"/> in one buffer;
        /// item i is bytes [offsets[i], offsets[i+1]). A null item is an empty range.
        /// </summary>
        internal static byte[] EncodeBatch(string[] items, out ulong[] offsets, string paramName)
        {
            offsets = new ulong[items.Length + 1];
            long total = 0;
            try
            {
                for (int i = 0; i < items.Length; i++)
                {
                    if (items[i] != null)
                    {
                        total += Strict.GetByteCount(items[i]);
                    }
                }
                if (total > int.MaxValue)
                {
                    throw new ArgumentException("`" + paramName + "` holds more than 2 GiB of UTF-8", paramName);
                }
                var data = new byte[total];
                int pos = 0;
                for (int i = 0; i < items.Length; i++)
                {
                    string s = items[i];
                    if (s != null)
                    {
                        pos += Strict.GetBytes(s, 0, s.Length, data, pos);
                    }
                    offsets[i + 1] = (ulong)pos;
                }
                return data;
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("`" + paramName + "` holds a string that is not valid UTF-16 (lone surrogate)", paramName, e);
            }
        }

        internal static string Decode(byte* p, ulong len)
        {
            if (len == 0)
            {
                return string.Empty;
            }
            if (len > int.MaxValue)
            {
                throw new QuiverException(QuiverStatus.OutOfMemory, "a string of " + len + " bytes does not fit a .NET string");
            }
            return Encoding.UTF8.GetString(p, (int)len);
        }

        /// <summary>A NUL-terminated UTF-8 string, or null for a NULL pointer.</summary>
        internal static string FromNulTerminatedOrNull(byte* s) =>
            s == null ? null : FromNulTerminated((IntPtr)s);

        internal static string FromNulTerminated(IntPtr s)
        {
            if (s == IntPtr.Zero)
            {
                return string.Empty;
            }
            byte* p = (byte*)s;
            ulong n = 0;
            while (p[n] != 0)
            {
                n++;
            }
            return Decode(p, n);
        }
    }
}
