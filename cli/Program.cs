using System.CommandLine;
using OrleansSettlement.Cli;

// `settle`: the command-line tool for partners and operators. Each group of commands
// lives in a file of its own under Commands/ and registers itself here.
var root = new RootCommand("OrleansSettlement: group checkouts settled all or nothing across banks.");
foreach (var command in CryptoCommands.Create())
{
    root.Subcommands.Add(command);
}

foreach (var command in ServiceCommands.Create())
{
    root.Subcommands.Add(command);
}

// A command line that does not parse (a missing required option, an unknown command) exits 2, the
// code every command uses for input it cannot work with; `verify` keeps 1 for "checked and not valid".
var parseResult = root.Parse(args);
var exitCode = await parseResult.InvokeAsync().ConfigureAwait(false);
return parseResult.Action is System.CommandLine.Invocation.ParseErrorAction ? 2 : exitCode;
