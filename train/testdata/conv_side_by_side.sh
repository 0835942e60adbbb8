#!/bin/bash
# Side-by-side conv training benchmark (issue 19): snnc and the PyTorch
# reference (conv_reference.py) alternately, the same network and data:
# 28x28x1-16c5-p2-32c5-p2-10, T = 4, batch 128, the first 8,000 MNIST
# training samples, one epoch, Adam at 3e-3 (snnc's default for conv nets)
# with cosine annealing, test accuracy on the whole test split.
#
#   bash train/testdata/conv_side_by_side.sh [MNIST_DIR [ROUNDS]]
#
# Each line gives samples/s of training (wall), and the process's CPU
# seconds (user + sys, evaluation included) from /usr/bin/time: on a shared
# machine compare both. Not part of CI (needs Debian's python3-torch).
set -euo pipefail
data=${1:-/work/shared/data/mnist}
rounds=${2:-2}
cd "$(dirname "$0")/../.."
bin=$(mktemp -d)/snnc
go build -o "$bin" ./cmd/snnc
out=$(mktemp -d)
for r in $(seq "$rounds"); do
	/usr/bin/time -f "snnc round $r: %e s wall, %U s user, %S s sys" \
		"$bin" train --data "$data" --arch 28x28x1-16c5-p2-32c5-p2-10 -T 4 --batch 128 \
		--epochs 1 --limit-train 8000 --lr 3e-3 --quiet -o "$out/conv.snn" 2>&1 | grep -v '^epoch'
	/usr/bin/time -f "pytorch round $r: %e s wall, %U s user, %S s sys" \
		/usr/bin/python3 train/testdata/conv_reference.py --data "$data" --limit 8000 \
		--epochs 1 --lr 3e-3 --threads 2
done
