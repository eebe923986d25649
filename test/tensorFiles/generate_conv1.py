"""The numbers a person reads after using a checkpoint's conv1.weight as the kernel of Convolve (issue 16).

Run with Debian's python3-torch (1.13): /usr/bin/python3 test/tensorFiles/generate_conv1.py

Reads test/integration/workspace/tensors/small_cnn.pt (written by generate.py) and writes, beside it:
  conv1_input.py        a 3x5x5 image as a torch.tensor literal, the input the person convolves
  conv1_expected.json   torch.nn.functional.conv2d of that image with conv1.weight, padding=1, in float64
                        (the float32 weights widened exactly, as Conv Lens reads them), with the parameters
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
WORKSPACE = os.path.join(HERE, '..', 'integration', 'workspace', 'tensors')

weight = torch.load(os.path.join(WORKSPACE, 'small_cnn.pt'))['conv1.weight'].double()
image = torch.tensor([[[((c * 25 + i * 5 + j) % 7) - 3 for j in range(5)] for i in range(5)] for c in range(3)],
                     dtype=torch.float64)
out = F.conv2d(image[None], weight, padding=1)[0]

rows = ',\n'.join(
    '    [' + ',\n     '.join('[' + ', '.join(str(int(v)) for v in row) + ']' for row in plane) + ']'
    for plane in image.tolist()
)
with open(os.path.join(WORKSPACE, 'conv1_input.py'), 'w') as f:
    f.write('import torch\n\n# a 3-channel 5x5 image: convolve it with conv1.weight of small_cnn.pt\n')
    f.write(f'image = torch.tensor([\n{rows}\n])\n')
with open(os.path.join(WORKSPACE, 'conv1_expected.json'), 'w') as f:
    json.dump({'torch': torch.__version__, 'params': 'padding=1', 'shape': list(out.shape), 'output': out.tolist()},
              f, indent=None, separators=(',', ':'))
print(f'wrote conv1_input.py and conv1_expected.json: output {list(out.shape)}')
