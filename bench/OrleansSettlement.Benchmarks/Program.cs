using BenchmarkDotNet.Running;

// `dotnet run -c Release --project bench/OrleansSettlement.Benchmarks -- --filter '*' --job short --inProcess`
BenchmarkSwitcher.FromAssembly(typeof(OrleansSettlement.Benchmarks.SampleBundle).Assembly).Run(args);
