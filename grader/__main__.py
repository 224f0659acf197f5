from grader.student.cli import main

raise SystemExit(main())
