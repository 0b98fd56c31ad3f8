Console.WriteLine("settle");
