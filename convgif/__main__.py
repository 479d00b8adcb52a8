import sys

from convgif.cli import main

sys.exit(main())
