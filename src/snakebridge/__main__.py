from snakebridge.cli import main

raise SystemExit(main())
