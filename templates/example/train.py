"""A small, deterministic trainer: logistic regression by SGD, standard library only.

Reads params.json, data/train.csv and data/test.csv; writes metrics.json and
models/model.json. Same params and data give the same bytes, every time.
"""

import csv
import json
import math
import os
import random


def load(path):
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    xs = [[float(r[k]) for k in ("f1", "f2", "f3", "f4")] for r in rows]
    ys = [int(r["label"]) for r in rows]
    return xs, ys


def predict(w, b, x):
    z = b + sum(wi * xi for wi, xi in zip(w, x))
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def main():
    with open("params.json") as fh:
        params = json.load(fh)
    rng = random.Random(params["seed"])
    xs, ys = load("data/train.csv")
    w, b = [0.0] * 4, 0.0
    order = list(range(len(xs)))
    for _ in range(params["epochs"]):
        rng.shuffle(order)
        for i in order:
            err = predict(w, b, xs[i]) - ys[i]
            w = [wi - params["lr"] * (err * xi + params["l2"] * wi) for wi, xi in zip(w, xs[i])]
            b -= params["lr"] * err
    tx, ty = load("data/test.csv")
    probs = [predict(w, b, x) for x in tx]
    accuracy = sum((p >= 0.5) == bool(y) for p, y in zip(probs, ty)) / len(ty)
    loss = -sum(math.log(max(p if y else 1 - p, 1e-12)) for p, y in zip(probs, ty)) / len(ty)
    with open("metrics.json", "w") as fh:
        json.dump({"accuracy": round(accuracy, 6), "loss": round(loss, 6)}, fh, indent=2)
    os.makedirs("models", exist_ok=True)
    with open("models/model.json", "w") as fh:
        json.dump({"weights": [round(v, 10) for v in w], "bias": round(b, 10)}, fh, indent=2)
    print(f"lr={params['lr']} epochs={params['epochs']}: accuracy={accuracy:.4f} loss={loss:.4f}")


if __name__ == "__main__":
    main()
