"""`python -m rag …` is `rag …` (rag.cli)."""
import sys

from .cli import main

sys.exit(main())
