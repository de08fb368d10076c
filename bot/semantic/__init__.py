"""/when's meaning layer (issue 12): passages, notes sentences and chapter titles embedded
with a small local model, searched by cosine and fused with the lexical ranking.

Optional: its modules need the `semantic` extra (model2vec, numpy) and are imported only
when EMBEDDING_MODEL is set (bot/app/services.py); nothing here is imported at start.
"""
