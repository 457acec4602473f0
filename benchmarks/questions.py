"""Questions for the latency runs: what an analyst would ask of the BBC stories (2004-2005).

They have no gold answers: the benchmark times them, it does not score them. They cover the five
topics and the question kinds the answerer tells apart (how many/much, who, when, why, what).
"""

from __future__ import annotations

QUESTIONS = [
    "How much did Time Warner's quarterly profits rise?",
    "Why did the dollar gain after Alan Greenspan's speech?",
    "How big was the US trade gap in 2004?",
    "Who wants to buy Yukos's main production unit?",
    "How much did Parmalat's profits grow?",
    "What did former Worldcom boss Bernie Ebbers say in his defence?",
    "Why did the Telegraph newspapers cut 90 jobs?",
    "How are high oil prices affecting the world economy?",
    "How much money did Ocean's Twelve take at the box office?",
    "Which films are competing for the best film Oscar?",
    "Who is tipped to win the Whitbread prize?",
    "Why is Bruce Willis suing over a movie injury?",
    "How much does a Band Aid download cost on iTunes?",
    "What are the details of the Scottish smoking ban?",
    "Why was BNP leader Nick Griffin arrested?",
    "How much money did the e-University waste?",
    "What party did Robert Kilroy-Silk launch?",
    "What did Michael Howard say about asylum?",
    "When will Gordon Brown publish the Africa report?",
    "Why was the verdict on the Greek sprinters Kenteris and Thanou delayed?",
    "Will Paula Radcliffe run in the London Marathon?",
    "Who could block Malcolm Glazer's bid for Manchester United?",
    "What did Steven Gerrard say about Liverpool's European hopes?",
    "Who won the Six Nations match between Wales and England?",
    "When does the Sony PSP go on sale in the US?",
    "Why could Xbox power cables be a fire risk?",
    "What is an evil twin attack on a wireless network?",
    "How are phishing scams tricking web browser users?",
    "How many people in China use the internet?",
    "What did Microsoft's security patches fix?",
]
