"""The eval suite: datasets (JSONL), metrics, a baseline, a runner and its reports."""
