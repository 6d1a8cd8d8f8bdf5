from recdistill.cli import main

main()
