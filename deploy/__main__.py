import sys

from deploy.setup import main

sys.exit(main())
