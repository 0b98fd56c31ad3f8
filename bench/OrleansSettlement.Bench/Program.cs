using OrleansSettlement.Bench;

// The bench host (`./settle bench` runs it): see BenchCommand for the options and exit codes.
var root = BenchCommand.Create();
var parse = root.Parse(args);
var exitCode = await parse.InvokeAsync().ConfigureAwait(false);
if (exitCode == BenchCommand.Interrupted)
{
    // An interrupted run leaves its silo to the process's exit (BenchSilo): exit now rather than wait on its threads.
    Environment.Exit(exitCode);
}

return parse.Action is System.CommandLine.Invocation.ParseErrorAction ? BenchCommand.CannotRun : exitCode;
