#!/usr/bin/env bash
# The main job on a fresh machine: set up, fetch the default models, sync and ingest the starter
# corpus, build the search index, then serve the officials' chat on http://127.0.0.1:7860.
# Every step skips what is already done, so a second run starts the app in seconds. The first
# index build embeds the starter corpus with EmbeddingGemma on the CPU: allow about an hour on
# 2 cores (it resumes from its embedding cache if interrupted).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --models embeddinggemma,qwen2.5-coder-1.5b
RA=.venv/bin/ruleassist
$RA corpus sync
$RA ingest corpora --keep-going
$RA index update
exec $RA serve "$@"
