import java.util.List;
import org.nvdb.Database;
import org.nvdb.Hit;
import org.nvdb.Query;

/**
 * Uses the installed nvdb.jar as any Java program would: on the class path alone, with no
 * -Djava.library.path; the jar finds its JNI library where the install put it.
 * Usage: java -cp nvdb.jar:. Consumer EXPECTED_VERSION
 */
public final class Consumer {
  public static void main(String[] args) {
    String version = Database.libraryVersion();
    if (!version.equals(args[0])) {
      throw new AssertionError("libnvdb is version " + version + ", expected " + args[0]);
    }
    try (Database db = Database.inMemory(2)) {
      db.upsert(new String[] {"east", "north"}, new float[][] {{1, 0}, {0, 1}}, null);
      List<Hit> hits = db.query(new float[] {0.1f, 0.9f}, new Query().topK(1));
      if (hits.size() != 1 || !hits.get(0).id().equals("north")) {
        throw new AssertionError("the query did not find \"north\": " + hits);
      }
    }
    System.out.println("java: nvdb " + version + " ok");
  }
}
