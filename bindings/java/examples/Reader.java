import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.nvdb.Database;
import org.nvdb.Hit;
import org.nvdb.OpenMode;
import org.nvdb.Options;

/**
 * A reader process of a shared store: Reader LOCATOR reads query vectors
 * from stdin (numbers separated by spaces, one query per line) and prints the
 * top 3 hits of each as "id=score ..." (used by the multi-language test).
 */
public final class Reader {
  public static void main(String[] args) throws Exception {
    try (Database db = Database.open(args[0], new Options().mode(OpenMode.READ));
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        String[] parts = line.trim().split("\\s+");
        float[] q = new float[parts.length];
        for (int i = 0; i < parts.length; i++) q[i] = Float.parseFloat(parts[i]);
        StringBuilder out = new StringBuilder();
        for (Hit h : db.query(q, 3)) out.append(String.format(Locale.ROOT, "%s=%.6f ", h.id(), h.score()));
        System.out.println(out.toString().trim());
        System.out.flush();
      }
    }
  }
}
