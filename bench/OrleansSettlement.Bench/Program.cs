using OrleansSettlement.Bench;

// The bench host (`./settle bench` runs it): see BenchCommand for the options and exit codes.
var root = BenchCommand.Create();
var parse = root.Parse(args);
var exitCode = await parse.InvokeAsync().ConfigureAwait(false);
return parse.Action is System.CommandLine.Invocation.ParseErrorAction ? BenchCommand.CannotRun : exitCode;
