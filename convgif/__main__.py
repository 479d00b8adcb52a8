import sys

from convgif.cli.main import main

sys.exit(main())
