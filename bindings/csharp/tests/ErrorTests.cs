using System;
using System.IO;
using NUnit.Framework;

namespace Quiver.Tests
{
    /// <summary>Every error kind the library can report for bad input, reached through real bad input.</summary>
    [TestFixture]
    public class ErrorTests : TempDirFixture
    {
        private QuiverDatabase db;
        private QuiverCollection docs;

        [SetUp]
        public void OpenDocs()
        {
            db = QuiverDatabase.Open(DbPath());
            docs = db.CreateCollection("docs", new CollectionConfig(3));
            docs.Upsert(new ulong[] { 1, 2 }, new float[] { 1, 0, 0, 0, 1, 0 }, new[] { "{\"a\": 1}", null });
        }

        [TearDown]
        public void CloseDocs()
        {
            docs.Dispose();
            db.Dispose();
        }

        private static QuiverException Fails(QuiverStatus status, TestDelegate code)
        {
            var e = Assert.Throws<QuiverException>(code);
            Assert.That(e.Status, Is.EqualTo(status), e.Message);
            Assert.That(e.Code, Is.EqualTo((int)status));
            Assert.That(e.Message, Is.Not.Empty);
            return e;
        }

        [Test]
        public void InvalidArgument()
        {
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection("bad/name", new CollectionConfig(3)));
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection(".hidden", new CollectionConfig(3)));
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection(new string('x', 65), new CollectionConfig(3)));
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection("c", new CollectionConfig(3) { HnswM = 1 }));
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection("c", new CollectionConfig(-1)));
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection("c", new CollectionConfig(3, (Metric)99)));
            Fails(QuiverStatus.InvalidArgument, () => db.CreateCollection("c", new CollectionConfig(3) { Kind = (CollectionKind)7 }));
            Fails(QuiverStatus.InvalidArgument, () => QuiverDatabase.Open(DbPath("x"), new DatabaseOptions { Sync = (SyncMode)5 }));
            Fails(QuiverStatus.InvalidArgument, () => QuiverDatabase.Open(""));
            Fails(QuiverStatus.InvalidArgument, () => QuiverDatabase.Open("a\0b"));

            var e = Fails(QuiverStatus.InvalidArgument, () => docs.Upsert(3, new float[] { float.NaN, 0, 0 }));
            Fails(QuiverStatus.InvalidArgument, () => docs.Upsert(3, new float[] { 0, 0, 0 }));            // zero vector under cosine
            Fails(QuiverStatus.InvalidArgument, () => docs.Upsert(3, new float[] { 1, 0, 0 }, "{not json"));
            Fails(QuiverStatus.InvalidArgument, () => docs.Upsert(new ulong[] { 3 }, new float[] { 1, 0, 0 }, new ulong[] { 5, 2 }, new byte[6]));
            Fails(QuiverStatus.InvalidArgument, () => docs.Upsert(new ulong[] { 3 }, new float[] { 1, 0, 0 }, new ulong[] { 0, 2 }, new byte[] { 0xff, 0xfe }));
            Assert.That(docs.Count(), Is.EqualTo(2), "a rejected batch changes nothing");

            Fails(QuiverStatus.InvalidArgument, () => docs.Search(new float[] { 1, 0, 0 }, new SearchOptions(0)));
            Fails(QuiverStatus.InvalidArgument, () => docs.Search(new float[] { 1, 0, 0 }, new SearchOptions(int.MaxValue)));
            Fails(QuiverStatus.InvalidArgument, () => docs.Search(new float[] { 1, 0, 0 }, new SearchOptions { Ef = int.MaxValue }));
            Fails(QuiverStatus.InvalidArgument, () => docs.Search(new float[] { 1, float.PositiveInfinity, 0 }));
            Fails(QuiverStatus.InvalidArgument, () => docs.Search(new float[] { 1, 0, 0 }, new SearchOptions { Filter = "{\"field\": " }));
            Fails(QuiverStatus.InvalidArgument, () => docs.Search(new float[] { 1, 0, 0 }, new SearchOptions { Filter = "{\"nope\": 1}" }));
            Fails(QuiverStatus.InvalidArgument, () => docs.SearchBatch(new float[0]));
            Fails(QuiverStatus.InvalidArgument, () => docs.SearchBatchInto(new float[] { 1, 0, 0 }, new SearchOptions(5), new ulong[4], new float[5], new int[1]));
            Fails(QuiverStatus.InvalidArgument, () => docs.Scroll(0, 0));
            Fails(QuiverStatus.InvalidArgument, () => docs.Scroll(0, 10, "[1, 2]"));
            StringAssert.Contains("invalid argument", e.Message);
        }

        [Test]
        public void DimensionMismatch()
        {
            var e = Fails(QuiverStatus.DimensionMismatch, () => docs.Upsert(new ulong[] { 3, 4 }, new float[] { 1, 0, 0, 1, 1 }));
            StringAssert.Contains("3", e.Message);
            Fails(QuiverStatus.DimensionMismatch, () => docs.Upsert(new ulong[] { 3 }, new[] { new float[] { 1, 0 } }));
            Fails(QuiverStatus.DimensionMismatch, () => docs.Search(new float[] { 1, 0 }));
            Fails(QuiverStatus.DimensionMismatch, () => docs.Search(new float[] { 1, 0, 0, 0 }));
            Fails(QuiverStatus.DimensionMismatch, () => docs.SearchBatch(new float[] { 1, 0, 0, 1 }));
            Fails(QuiverStatus.DimensionMismatch, () => docs.SearchBatch(new[] { new float[] { 1, 0 }, new float[] { 1, 0 } }));
            Fails(QuiverStatus.DimensionMismatch, () => docs.SearchBatch(new[] { new float[] { 1, 0, 0 }, new float[] { 1, 0 } }));
            Assert.That(docs.Count(), Is.EqualTo(2));
        }

        [Test]
        public void NotFound()
        {
            var e = Fails(QuiverStatus.NotFound, () => db.OpenCollection("missing"));
            StringAssert.Contains("missing", e.Message);
            Fails(QuiverStatus.NotFound, () => db.DropCollection("missing"));
        }

        [Test]
        public void AlreadyExists()
        {
            var e = Fails(QuiverStatus.AlreadyExists, () => db.CreateCollection("docs", new CollectionConfig(3)));
            StringAssert.Contains("docs", e.Message);
        }

        [Test]
        public void ClosedAfterDispose()
        {
            var other = db.OpenCollection("docs");
            other.Dispose();
            Fails(QuiverStatus.Closed, () => other.Count());
            Fails(QuiverStatus.Closed, () => other.Upsert(9, new float[] { 1, 1, 1 }));
            Fails(QuiverStatus.Closed, () => other.Search(new float[] { 1, 0, 0 }));
            Fails(QuiverStatus.Closed, () => other.SearchBatch(new float[] { 1, 0, 0 }));
            Fails(QuiverStatus.Closed, () => other.Get(1));
            Fails(QuiverStatus.Closed, () => other.Delete(1));
            Fails(QuiverStatus.Closed, () => other.Scroll());
            Fails(QuiverStatus.Closed, () => other.Checkpoint());
            Fails(QuiverStatus.Closed, () => other.Optimize());
            Fails(QuiverStatus.Closed, () => other.WaitOptimized());
            Fails(QuiverStatus.Closed, () => other.Verify());
            Fails(QuiverStatus.Closed, () => other.Stats());
            Assert.That(docs.Count(), Is.EqualTo(2), "other handles are not affected");

            var r = docs.SearchBatch(new float[] { 1, 0, 0 }, new SearchOptions { WithPayload = true });
            var p = docs.Get(1, 2);
            r.Dispose();
            p.Dispose();
            Fails(QuiverStatus.Closed, () => r.GetHits(0));
            Fails(QuiverStatus.Closed, () => r.GetPayload(0, 0));
            Fails(QuiverStatus.Closed, () => p.GetVector(0));
            Fails(QuiverStatus.Closed, () => p.GetPayload(0));
        }

        [Test]
        public void ClosedAfterTheDatabaseIsClosedOrTheCollectionDropped()
        {
            var dropped = db.CreateCollection("temp", new CollectionConfig(2));
            db.DropCollection("temp");
            Fails(QuiverStatus.Closed, () => dropped.Count());
            Fails(QuiverStatus.Closed, () => dropped.Upsert(1, new float[] { 1, 1 }));
            dropped.Dispose();

            db.Close();
            Fails(QuiverStatus.Closed, () => docs.Count());
            Fails(QuiverStatus.Closed, () => docs.Search(new float[] { 1, 0, 0 }));
            Fails(QuiverStatus.Closed, () => docs.Optimize());
            Fails(QuiverStatus.Closed, () => docs.Verify());
            Fails(QuiverStatus.Closed, () => docs.Stats());
            Fails(QuiverStatus.Closed, () => db.ListCollections());
            Fails(QuiverStatus.Closed, () => db.OpenCollection("docs"));
            Fails(QuiverStatus.Closed, () => db.CreateCollection("x", new CollectionConfig(2)));
            Fails(QuiverStatus.Closed, () => db.DropCollection("docs"));
        }

        [Test]
        public void Locked()
        {
            var e = Fails(QuiverStatus.Locked, () => QuiverDatabase.Open(DbPath()));
            StringAssert.Contains("open already", e.Message);
        }

        [Test]
        public void Io()
        {
            string file = Path.Combine(Dir, "plain-file");
            File.WriteAllText(file, "x");
            Fails(QuiverStatus.Io, () => QuiverDatabase.Open(Path.Combine(file, "db")));
        }

        [Test]
        public void IncompatibleFormat()
        {
            string foreign = DbPath("foreign");
            Directory.CreateDirectory(foreign);
            File.WriteAllText(Path.Combine(foreign, "notes.txt"), "not a database");
            var e = Fails(QuiverStatus.IncompatibleFormat, () => QuiverDatabase.Open(foreign));
            StringAssert.Contains("not a quiver database", e.Message);

            string other = DbPath("other");
            QuiverDatabase.Open(other).Dispose();
            File.WriteAllText(Path.Combine(other, "quiver.db"), "{\"magic\": \"something-else\", \"format_version\": 1}");
            Fails(QuiverStatus.IncompatibleFormat, () => QuiverDatabase.Open(other));
        }

        [Test]
        public void Corrupt()
        {
            string path = DbPath("corrupt");
            QuiverDatabase.Open(path).Dispose();
            File.WriteAllText(Path.Combine(path, "quiver.db"), "\u0001\u0002 garbage");
            Fails(QuiverStatus.Corrupt, () => QuiverDatabase.Open(path));
        }

        [Test]
        public void Unsupported()
        {
            using (var meta = db.CreateCollection("meta", CollectionConfig.MetadataOnly()))
            {
                meta.Upsert(new ulong[] { 1 }, (float[])null, new[] { "{}" });
                Fails(QuiverStatus.Unsupported, () => meta.Search(new float[] { 1, 0, 0 }));
                Fails(QuiverStatus.Unsupported, () => meta.SearchBatch(new float[] { 1, 0, 0 }).Dispose());
            }
        }

        [Test]
        public void UnknownCodesMapToUnknown()
        {
            var e = new QuiverException(99, "from a newer library");
            Assert.That(e.Status, Is.EqualTo(QuiverStatus.Unknown));
            Assert.That(e.Code, Is.EqualTo(99));
            Assert.That(new QuiverException(QuiverStatus.Io, "x").Code, Is.EqualTo(6));
            Assert.That(Errors.FromNative(42, IntPtr.Zero).Status, Is.EqualTo(QuiverStatus.Unknown));
        }

        [Test]
        public void ReadOnlyIsStatus15()
        {
            // QV_ERR_READ_ONLY needs a failed fsync or a full disk to happen for
            // real; the mapping of its code is checked here.
            var e = new QuiverException(15, "read only: collection \"docs\": fsync failed");
            Assert.That(e.Status, Is.EqualTo(QuiverStatus.ReadOnly));
            Assert.That(e.Code, Is.EqualTo(15));
            Assert.That((int)QuiverStatus.ReadOnly, Is.EqualTo(15));
            Assert.That(new QuiverException(QuiverStatus.ReadOnly, "x").Code, Is.EqualTo(15));
            var native = Errors.FromNative(15, IntPtr.Zero);
            Assert.That(native.Status, Is.EqualTo(QuiverStatus.ReadOnly));
            StringAssert.Contains("ReadOnly", native.Message);
            Assert.That(Errors.FromNative(17, IntPtr.Zero).Status, Is.EqualTo(QuiverStatus.Unknown));
        }

        [Test]
        public void BindingSideArgumentChecks()
        {
            Assert.Throws<ArgumentNullException>(() => QuiverDatabase.Open(null));
            Assert.Throws<ArgumentNullException>(() => db.OpenCollection(null));
            Assert.Throws<ArgumentNullException>(() => db.CreateCollection("c", null));
            Assert.Throws<ArgumentNullException>(() => docs.Upsert(null, new float[3]));
            Assert.Throws<ArgumentNullException>(() => docs.Search(null));
            Assert.Throws<ArgumentNullException>(() => docs.SearchBatch((float[])null));
            Assert.Throws<ArgumentOutOfRangeException>(() => new SearchOptions(-1));
            Assert.Throws<ArgumentOutOfRangeException>(() => docs.Scroll(0, -1));
            Assert.Throws<ArgumentException>(() => docs.Upsert(5, new float[] { 1, 0, 0 }, "{\"bad\": \"\ud800\"}"));
            Assert.Throws<ArgumentException>(() => db.OpenCollection("\udc00"));
            // The library reads n + 1 offsets and writes nq counts: shorter arrays never reach it.
            Fails(QuiverStatus.InvalidArgument, () => docs.Upsert(new ulong[] { 3, 4 }, new float[6], new ulong[2], new byte[0]));
            Fails(QuiverStatus.InvalidArgument, () => docs.Upsert(new ulong[] { 3, 4 }, new float[] { 1, 0, 0, 1, 1, 1 }, new[] { "{}" }));
            Fails(QuiverStatus.DimensionMismatch, () => docs.Upsert(new ulong[] { 3, 4 }, new[] { new float[] { 1, 0, 0 }, new float[] { 1, 0 } }));
            Fails(QuiverStatus.InvalidArgument, () => docs.SearchBatchInto(new float[] { 1, 0, 0, 0, 1, 0 }, null, new ulong[20], new float[20], new int[1]));
        }
    }
}
