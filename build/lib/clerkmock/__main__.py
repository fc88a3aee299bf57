"""`python -m clerkmock` = the `clerkmock` command."""

from clerkmock.cli import main

main()
