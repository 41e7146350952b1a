import java.util.List;
import org.nvdb.Database;
import org.nvdb.Hit;
import org.nvdb.NvdbException;
import org.nvdb.Query;
import org.nvdb.Report;
import org.nvdb.Status;

/** nvdb from Java in a minute: create, upsert, query with a filter, handle an error. */
public final class QuickStart {
  public static void main(String[] args) {
    try (Database db = Database.inMemory(4)) {
      Report report = db.upsert(
          new String[] {"kind-of-blue", "abbey-road", "vespertine"},
          new float[][] {{0.9f, 0.1f, 0, 0}, {0.1f, 0.9f, 0.2f, 0}, {0.7f, 0, 0.6f, 0.1f}},
          new String[] {
            "{\"genre\": \"jazz\", \"year\": 1959}",
            "{\"genre\": \"rock\", \"year\": 1969}",
            "{\"genre\": \"electronic\", \"year\": 2001}"});
      System.out.println("inserted " + report.inserted());

      float[] query = {1, 0, 0.3f, 0};
      Query recentOnly = new Query().topK(2).filter("{\"year\": {\"$gte\": 1960}}");
      List<Hit> hits = db.query(query, recentOnly);
      for (Hit hit : hits) {
        System.out.printf("%-12s %.3f %s%n", hit.id(), hit.score(), hit.metadata());
      }

      try {
        db.query(new float[] {1, 0}, 2); // the database has dimension 4
      } catch (NvdbException e) {
        System.out.println("rejected (" + Status.name(e.status()) + "): " + e.getMessage());
      }
    }
  }
}
