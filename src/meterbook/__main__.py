from meterbook.cli import main

raise SystemExit(main())
