using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Nvdb")]
[assembly: AssemblyDescription("C# binding of nvdb, a small, fast vector database")]
[assembly: AssemblyVersion("0.1.0.0")]
// The tests compare the public enums with the C constants of the P/Invoke layer.
[assembly: InternalsVisibleTo("Nvdb.Tests")]
