using System;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace Nvdb.Tests {

[TestFixture]
public class VersionTests {
  [Test]
  public void VersionIsTheLibrarysDottedTriple() {
    StringAssert.IsMatch(@"^\d+\.\d+\.\d+$", Database.Version);
    Assert.AreEqual("0.1.0", Database.Version);
  }

  [Test]
  public void StatusValuesAreTheCCodes() {
    Assert.AreEqual(NvdbNative.NVDB_OK, (int)Status.Ok);
    Assert.AreEqual(NvdbNative.NVDB_EINVAL, (int)Status.InvalidArgument);
    Assert.AreEqual(NvdbNative.NVDB_EDIM, (int)Status.Dimension);
    Assert.AreEqual(NvdbNative.NVDB_EVECTOR, (int)Status.Vector);
    Assert.AreEqual(NvdbNative.NVDB_EID, (int)Status.Id);
    Assert.AreEqual(NvdbNative.NVDB_EJSON, (int)Status.Json);
    Assert.AreEqual(NvdbNative.NVDB_EFILTER, (int)Status.Filter);
    Assert.AreEqual(NvdbNative.NVDB_ENOTFOUND, (int)Status.NotFound);
    Assert.AreEqual(NvdbNative.NVDB_EEXIST, (int)Status.Exists);
    Assert.AreEqual(NvdbNative.NVDB_EIO, (int)Status.IO);
    Assert.AreEqual(NvdbNative.NVDB_ECORRUPT, (int)Status.Corrupt);
    Assert.AreEqual(NvdbNative.NVDB_EVERSION, (int)Status.Version);
    Assert.AreEqual(NvdbNative.NVDB_EBUSY, (int)Status.Busy);
    Assert.AreEqual(NvdbNative.NVDB_EREADONLY, (int)Status.ReadOnly);
    Assert.AreEqual(NvdbNative.NVDB_ENOMEM, (int)Status.NoMemory);
    Assert.AreEqual(NvdbNative.NVDB_EABORTED, (int)Status.Aborted);
    Assert.AreEqual(NvdbNative.NVDB_EMISMATCH, (int)Status.Mismatch);
    Assert.AreEqual(NvdbNative.NVDB_EINTERNAL, (int)Status.Internal);
  }

  [Test]
  public void EnumValuesAreTheCValues() {
    Assert.AreEqual(NvdbNative.NVDB_METRIC_DEFAULT, (int)Metric.Default);
    Assert.AreEqual(NvdbNative.NVDB_METRIC_COSINE, (int)Metric.Cosine);
    Assert.AreEqual(NvdbNative.NVDB_METRIC_DOT, (int)Metric.Dot);
    Assert.AreEqual(NvdbNative.NVDB_METRIC_L2, (int)Metric.L2);
    Assert.AreEqual(NvdbNative.NVDB_OPEN_CREATE, (int)OpenMode.Create);
    Assert.AreEqual(NvdbNative.NVDB_OPEN_WRITE, (int)OpenMode.Write);
    Assert.AreEqual(NvdbNative.NVDB_OPEN_READ, (int)OpenMode.Read);
    Assert.AreEqual(NvdbNative.NVDB_FLAG_NO_SYNC, (uint)OpenFlags.NoSync);
  }

  [Test]
  public void EveryStatusHasADescription() {
    foreach (Status status in Enum.GetValues(typeof(Status))) {
      string text = NvdbException.StatusText(status);
      Assert.IsNotEmpty(text);
      Assert.AreNotEqual("unknown status", text, status.ToString());
    }
  }
}

}
