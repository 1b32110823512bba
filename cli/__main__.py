"""`python -m cli`: the same as the `review-bot` console script."""

from cli.main import main

main()
