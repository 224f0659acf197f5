from optigrade.cli import main

raise SystemExit(main())
