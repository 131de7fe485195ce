using System.Reflection;
using System.Runtime.CompilerServices;

[assembly: AssemblyTitle("Quiver")]
[assembly: AssemblyDescription("C# binding of Quiver, an embeddable vector database (P/Invoke over libquiver)")]
[assembly: AssemblyVersion("0.1.0.0")]
[assembly: InternalsVisibleTo("Quiver.Tests")]
