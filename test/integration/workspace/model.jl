# Julia
x = [1.5 -2.0 Inf; 0 NaN 3]
