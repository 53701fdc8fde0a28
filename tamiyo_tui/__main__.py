from tamiyo_tui.cli import main

raise SystemExit(main())
