package org.nvdb;

/**
 * Run in a child JVM by StoreTest: opens a store as a reader, reports what it sees, and tries
 * to write and to open a second writer.
 */
public final class StoreProbe {
  private StoreProbe() {}

  public static void main(String[] args) {
    String locator = args[0];
    String expectedBest = args[1];
    try (Database r = Database.open(locator, new Options().mode(OpenMode.READ))) {
      System.out.println("count " + r.count());
      System.out.println("best " + r.query(new float[] {0, 1, 0, 0}, 1).get(0).id());
      try {
        r.upsert(expectedBest, new float[] {1, 1, 1, 1}, null);
        System.out.println("write succeeded");
      } catch (NvdbException e) {
        System.out.println("write " + e.status());
      }
    }
    try (Database w = Database.open(locator, new Options().mode(OpenMode.WRITE))) {
      System.out.println("second writer opened: " + w);
    } catch (NvdbException e) {
      System.out.println("second writer " + e.status());
    }
  }
}
