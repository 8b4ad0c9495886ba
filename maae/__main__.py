"""``python -m maae``: see maae.cli."""

from maae.cli import main

raise SystemExit(main())
