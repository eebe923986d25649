% MATLAB / Octave
A = [1 2 3; 4 5 6; 7 8 9];
k = [1, 0; 0, -1];
