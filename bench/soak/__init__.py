"""`make soak`: the fault campaign of issue 9 ("nothing lost"), scenario by scenario."""
