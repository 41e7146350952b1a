package org.nvdb;

/** Run in a child JVM by LoadingTest: loads the native library and reports the outcome. */
public final class LoadProbe {
  private LoadProbe() {}

  public static void main(String[] args) {
    try (Database db = Database.inMemory(2)) {
      System.out.println("loaded " + Database.libraryVersion() + (db.count() == 0 ? "" : "?"));
    } catch (UnsatisfiedLinkError first) {
      System.out.println("first: " + first.getMessage());
      try {
        Database.inMemory(2).close();
      } catch (UnsatisfiedLinkError second) { // the same clear message, not NoClassDefFoundError
        System.out.println("second: " + second.getMessage());
      }
      System.exit(3);
    }
  }
}
