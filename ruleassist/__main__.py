from ruleassist.cli import main

main()
